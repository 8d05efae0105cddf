"""What `/propose` asks, one question at a time, and the review before Submit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from conversations.engine.replies import Button, Keyboard, Say
from conversations.proposals.actions import (
    CATEGORY,
    CONSENT,
    DISCARD,
    LABOUR,
    NOT_KNOWN,
    RISK,
    SKIP,
    SUBMIT,
    VILLAGE,
)
from conversations.proposals.texts import risk_names
from conversations.reports.ledger import CATEGORY_NAMES
from conversations.texts import money
from monitoring.i18n import Translator
from monitoring.people import Category
from monitoring.proposals import RISK_TYPES, next_field


def _rows(buttons: list[Button], t: Translator, width: int = 2) -> Keyboard:
    rows = [tuple(buttons[i : i + width]) for i in range(0, len(buttons), width)]
    rows.append((Button(t._("Cancel"), DISCARD.data()),))
    return tuple(rows)


def question(
    field: str, answers: dict[str, Any], t: Translator, villages: list[tuple[int, str]]
) -> tuple[str, Keyboard]:
    if field == "village_id":
        return t._("New proposal. Which village is the household in?"), _rows(
            [Button(name, VILLAGE.data(village=vid)) for vid, name in villages], t, 3
        )
    if field == "head_name":
        return t._("Name of the head of household?"), _rows([], t)
    if field == "number":
        return t._(
            "The household number, if it has one (e.g. LX01012)? Press “Not known” otherwise."
        ), _rows([Button(t._("Not known"), NOT_KNOWN.data(value="-"))], t)
    if field == "members":
        return t._("How many members live together?"), _rows([], t)
    if field == "category":
        return t._("Which category?"), _rows(
            [
                Button(t._(CATEGORY_NAMES[c.value]), CATEGORY.data(category=c.value))
                for c in Category
            ],
            t,
            1,
        )
    if field == "risk_types":
        chosen = set(answers.get("risk_types", []))
        buttons = [
            Button(("✅ " if code in chosen else "") + t._(name), RISK.data(code=code))
            for code, name in RISK_TYPES
        ]
        buttons.append(Button(t._("Done"), RISK.data(code="done")))
        return t._(
            "Which risks does the household face? Press each that applies, then Done."
        ), _rows(buttons, t, 2)
    if field == "expected_income":
        return t._("Expected household net income this year, in yuan (e.g. 18000, 1.8万)?"), _rows(
            [], t
        )
    if field == "has_labour":
        return t._("Is anyone in the household able to work?"), _rows(
            [Button(t._("Yes"), LABOUR.data(yes=1)), Button(t._("No"), LABOUR.data(yes=0))], t
        )
    if field == "consent":
        return t._(
            "Has the household signed its consent and authorisation (承诺授权书: that its "
            "income, assets and so on may be checked)? It is needed before the village review."
        ), _rows(
            [
                Button(t._("Signed"), CONSENT.data(yes=1)),
                Button(t._("Not yet"), CONSENT.data(yes=0)),
            ],
            t,
        )
    if field == "note":
        return t._(
            "A note for the reviewers: what happened, what is needed? Type it, or press Skip."
        ), _rows([Button(t._("Skip"), SKIP.data(field="note"))], t)
    if field == "photo":
        return t._("A photo (the home, a bill…)? Send it, or press Skip."), _rows(
            [Button(t._("Skip"), SKIP.data(field="photo"))], t
        )
    raise ValueError(field)


def review(answers: dict[str, Any], villages: dict[int, str], t: Translator) -> str:
    lines = [
        t._("Please check the proposal:"),
        t._("Village: {village}").format(village=villages.get(answers["village_id"], "?")),
        t._("Head of household: {head}").format(head=answers["head_name"]),
        t._("Household number: {number}").format(number=answers["number"] or t._("not known yet")),
        t._("Members: {members}; category: {category}").format(
            members=answers["members"], category=t._(CATEGORY_NAMES[answers["category"]])
        ),
        t._("Risks: {risks}").format(risks=risk_names(answers["risk_types"], t)),
        t._("Expected income this year: {amount}").format(
            amount=money(Decimal(answers["expected_income"]), t)
        ),
        t._("Someone able to work: {answer}").format(
            answer=t._("yes") if answers["has_labour"] else t._("no")
        ),
        t._("Consent (承诺授权书) signed: {answer}").format(
            answer=t._("yes")
            if answers["consent"]
            else t._("not yet (the village head records it before the review)")
        ),
        t._("Note: {note}").format(note=answers["note"] or "—"),
        t._("Photo: {answer}").format(answer=t._("yes") if answers["photo"] else t._("no")),
    ]
    return "\n".join(lines)


def ask_next(
    answers: dict[str, Any],
    villages: list[tuple[int, str]],
    own_village: int | None,
    t: Translator,
    prefix: str | None = None,
) -> Say:
    """The next question, or the review with Submit / Cancel; `prefix` (a refusal, a note)
    in the same message, so the person reads one reply."""
    villages = sorted(villages, key=lambda v: v[0] != own_village)  # their own village first
    field = next_field(answers)
    if field is None:
        text = review(answers, dict(villages), t)
        keyboard: Keyboard = (
            (Button(t._("Submit"), SUBMIT.data()), Button(t._("Cancel"), DISCARD.data())),
        )
    else:
        text, keyboard = question(field, answers, t, villages)
    return Say(f"{prefix}\n\n{text}" if prefix else text, keyboard)
