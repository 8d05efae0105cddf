"""The leads' buttons (prefix `ld`, pressed in the presser's own private chat only)."""

from __future__ import annotations

from conversations.engine.callbacks import Action

OPEN = Action("ld", "o", "lead")  # open one from /leads' list
OUTCOME = Action("ld", "r", "lead", "outcome")  # monitored, excluded (asks why), not_found
PROPOSE = Action("ld", "p", "lead")  # 纳入: a proposal prefilled from it
VILLAGE = Action("ld", "v", "lead", "village")  # the township staff give it a village
