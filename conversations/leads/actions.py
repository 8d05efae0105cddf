"""The leads' buttons (prefix `ld`, pressed in the presser's own private chat only)."""

from __future__ import annotations

from conversations.engine.callbacks import Action

OPEN = Action("ld", "o", "lead")  # open one from /leads' list
OUTCOME = Action("ld", "r", "lead", "outcome")  # monitored, excluded (asks why), not_found
PROPOSE = Action("ld", "p", "lead")  # 纳入: a proposal prefilled from it
VILLAGE = Action("ld", "v", "lead", "village")  # the township staff give it a village
# A self-report (/report, people not on the roster): prefix `sr`.
SELF_VILLAGE = Action("sr", "v", "village")
SELF_RISK = Action("sr", "r", "code")
SELF_SUBMIT = Action("sr", "ok")
SELF_CANCEL = Action("sr", "x")
SELF_NEW = Action("sr", "n")
