"""What staff and helpers read: /summary with its chart, the ledger (/export and the CLI),
/mine, /history, and the scheduled jobs' messages (reminders, missed visits, the Monday list)."""
