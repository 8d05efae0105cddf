"""Scheduled jobs: each a plain async function of (clock time, a transaction, a sender); the
outbox worker's life (`worker.py`)."""
