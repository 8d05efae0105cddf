"""The platforms, side by side: each turns its input into neutral events, carries out neutral
replies, and sends one outbox row (a `Transport`). A platform imports the core (`bot/`) and
what lies below it, never another platform nor the CLI."""
