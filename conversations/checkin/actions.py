"""The check-in's buttons (prefix `ci`), declared once. Choosing a household
(`START_CHECKIN`) is in `conversations.actions`: the reminders carry it too."""

from __future__ import annotations

from conversations.actions import START_CHECKIN
from conversations.engine.callbacks import Action

ANSWER = Action("ci", "a", "question", "value")  # a button answer of the question asked
EDIT = Action("ci", "edit")  # the list of questions that can be changed
EDIT_ONE = Action("ci", "e", "question")  # change one of them
BACK_TO_SUMMARY = Action("ci", "sum")
CONFIRM = Action("ci", "ok")
DISCARD = Action("ci", "cx", "discard")  # after /cancel: 1 discard, 0 keep going

__all__ = ["ANSWER", "BACK_TO_SUMMARY", "CONFIRM", "DISCARD", "EDIT", "EDIT_ONE", "START_CHECKIN"]
