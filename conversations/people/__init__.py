"""The people and their chats: registration (/start and the shared number), the language,
groups (/bind, /unbind, the bot added or removed), /help, and the one command table."""
