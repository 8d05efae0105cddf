"""The platform-neutral core of the conversations: events in, replies out, and what a flow
needs to answer one (who, in which language, the database, the clock). Nothing here knows a
platform: each one in `platforms/` turns its input into events and carries out the replies."""
