"""Help measures as tasks for those who carry them out: `/tasks` (their open measures, the
oldest deadline first, each with its buttons), moving one to 办理中 / 已落实, refusing one with
a typed reason (`refuse.py`), and the private notices to the household's helper and village
head when a measure is delivered or refused."""
