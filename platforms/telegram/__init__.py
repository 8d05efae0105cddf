"""Telegram: long polling with python-telegram-bot, updates into neutral events, replies into
Bot API calls, and the Transport that sends one outbox row within Telegram's limits."""
