"""Button data shared by a flow and the messages the outbox renders for it (declared once,
built and read from the same declaration)."""

from __future__ import annotations

from conversations.engine.callbacks import Action

# The check-in: choose a household (the household list, and each reminder's buttons).
START_CHECKIN = Action("ci", "hh", "household")
# A red warning's buttons, on each copy of the warning in the groups.
ACKNOWLEDGE = Action("al", "ack", "alert")
RECORD_MEASURE = Action("al", "m", "alert")
