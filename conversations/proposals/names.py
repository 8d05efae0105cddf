"""The words of a proposal's steps, statuses and decisions, and its risks as a public notice
says them: shared by the messages and the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitoring.i18n import N_, Translator
from monitoring.proposals import Status

STATUS_NAMES = {
    Status.VILLAGE: N_("waiting for the village's democratic review"),
    Status.NOTICE: N_("public notice in the village"),
    Status.TOWNSHIP: N_("waiting for the township's review"),
    Status.COUNTY: N_("waiting for the county's decision"),
    Status.HELPER: N_("approved; waiting for a helper to be chosen"),
    Status.APPROVED: N_("approved"),
    Status.REJECTED: N_("rejected"),
}


def said(t: Translator, msgid: str, params: Mapping[str, Any]) -> str:
    """A message (a refusal, a note) with its parameters, a status among them in the
    reader's words."""
    words = {k: t._(STATUS_NAMES[v]) if isinstance(v, Status) else v for k, v in params.items()}
    return t._(msgid).format(**words)


KIND_NAMES = {"identify": N_("identification"), "eliminate": N_("risk elimination")}
STEP_NAMES = {
    "village": N_("village review"),
    "notice": N_("public notice"),
    "township": N_("township review"),
    "county": N_("county decision"),
    "helper": N_("helper"),
}
DECISION_NAMES = {
    "approve": N_("approved"),
    "reject": N_("rejected"),
    "assign": N_("assigned"),
    "post": N_("notice posted"),
    "object": N_("objection recorded"),
    "consent": N_("household's consent (承诺授权书) signed"),
}
# A risk type in the public notice's general words: a notice never names a health condition.
NOTICE_RISKS = {
    "illness": N_("large unavoidable expenditure"),
    "disability": N_("large unavoidable expenditure"),
    "schooling": N_("large unavoidable expenditure"),
    "disaster": N_("sudden loss"),
    "accident": N_("sudden loss"),
    "project": N_("income fell"),
    "employment": N_("income fell"),
    "labour": N_("lack of labour"),
    "housing": N_("housing safety"),
    "water": N_("drinking water safety"),
    "other": N_("other"),
}

# 自然消除's causes (monitoring/natural_end.py), as readers see them.
CAUSE_NAMES = {
    "death": N_("the last member died"),
    "moved": N_("the household moved away"),
}
