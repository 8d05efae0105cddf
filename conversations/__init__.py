"""python-telegram-bot handlers for people's flows: registration, check-in, measures, proposals."""
