"""The platform-neutral core of the conversations: events in, replies out, and what a flow
needs to answer one (who, in which language, the database, the clock). Nothing here knows
Telegram: `bot/` turns updates into events and replies into Bot API calls; another platform's
adapter does the same for its own."""
