"""The buttons of a proposal being written (prefix `pp`), declared once. Deciding a proposal
and the elimination check have theirs in `conversations.actions` (the outbox renders them)."""

from __future__ import annotations

from conversations.engine.callbacks import Action

VILLAGE = Action("pp", "v", "village")
NOT_KNOWN = Action("pp", "n", "value")  # the household number is not known: pp:n:-
CATEGORY = Action("pp", "c", "category")
RISK = Action("pp", "r", "code")  # toggles a risk; pp:r:done closes the choice
LABOUR = Action("pp", "l", "yes")  # 1 / 0
CONSENT = Action("pp", "cs", "yes")  # 1: the household signed its 承诺授权书; 0: not yet
SKIP = Action("pp", "s", "field")  # note / photo
SUBMIT = Action("pp", "ok")
DISCARD = Action("pp", "x")
