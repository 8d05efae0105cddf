"""Scheduled jobs: each a plain async function of (clock time, repositories, sender)."""
