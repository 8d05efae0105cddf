"""What the check-in shows: a question with its answer buttons, the summary with Confirm /
Edit, the list of questions to edit, and the result after confirming."""

from __future__ import annotations

from datetime import date
from typing import Any

from conversations.checkin.actions import (
    ANSWER,
    BACK_TO_SUMMARY,
    CONFIRM,
    EDIT,
    EDIT_ONE,
)
from conversations.checkin.confirm import ConfirmResult
from conversations.engine.replies import Button, Edit, Keyboard, Say
from conversations.income_texts import income_lines
from conversations.texts import level_text, money, reasons_text, week_label
from monitoring.checkin import (
    QUESTION_BY_ID,
    Kind,
    Question,
    Step,
    editable,
    next_step,
)
from monitoring.checkin_members import (
    CHANGE_NAMES,
    Change,
    changes_of,
    choices,
    living_after,
    members_after,
    offered,
    recorded,
    school_from_members,
)
from monitoring.confirmed import summary_rows
from monitoring.i18n import Translator
from monitoring.income import SOURCE_NAMES
from monitoring.members import Presence
from monitoring.risk import Level
from storage.checkins import DraftView, HouseholdView


def household_line(h: HouseholdView) -> str:
    return f"{h.number} {h.head_name}"


def _rows(buttons: list[Button], width: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def _source_of(step: Step, draft: DraftView, t: Translator) -> str:
    """The source a round of the income changes is about (its question names it)."""
    chosen = draft.answers.get("income_source") or []
    if step.round is None or step.round >= len(chosen):
        return ""
    return t._(SOURCE_NAMES.get(chosen[step.round], chosen[step.round]))


LIVING = Presence.LIVING


def _living(draft: DraftView) -> str:
    """The members living in the household (as the check-in started), by name."""
    return "、".join(m.name for m in members_after(draft.answers, 0) if m.presence is LIVING)


def question_text(step: Step, draft: DraftView, t: Translator) -> str:
    body = t._(step.question.text).format(
        members=draft.household.members,
        source=_source_of(step, draft, t),
        living=_living(draft),
    )
    if step.round and step.question.id.startswith("member_"):
        body = t._("Change {n}: {question}").format(n=step.round + 1, question=body)
    if step.round and step.question.id.startswith("expense"):
        body = t._("Expenditure {n}: {question}").format(n=step.round + 1, question=body)
    return f"【{household_line(draft.household)}】\n{body}"


def question_keyboard(step: Step, draft: DraftView, t: Translator) -> Keyboard:
    q = step.question

    def answer(label: str, value: str) -> Button:
        return Button(label, ANSWER.data(question=q.id, value=value))

    if q.kind is Kind.YESNO and q.guarantee is not None:  # what it means, secure first
        secure, problem = q.says
        ok, bad = ("1", "0") if q.ok_when else ("0", "1")
        return ((answer(t._(secure), ok), answer(t._(problem), bad)),)
    if q.kind is Kind.YESNO and q.answers_as:  # buttons that say what they mean
        return (tuple(answer(t._(label), "1" if value else "0") for label, value in q.answers_as),)
    if q.kind is Kind.YESNO:
        return ((answer(t._("Yes"), "1"), answer(t._("No"), "0")),)
    if q.kind is Kind.MEMBER:  # a button per member the change may be about
        change = Change(draft.answers["member_change"][step.round or 0])
        who = choices(draft.answers, step.round or 0, change)
        return _rows([answer(f"{m.name}（{m.relation}）", str(m.id)) for m in who], 2)
    if q.kind is Kind.CHOICE:
        options = offered(draft.answers, step.round or 0) if q.id == "member_change" else q.options
        return _rows(
            [answer(t._(label), value) for value, label in options],
            2 if len(options) in (2, 4) else 3,
        )
    if q.kind is Kind.COUNT:
        n = draft.household.members
        return ((answer(t._("Still {n}").format(n=n), str(n)),),)
    if q.skippable and q.kind is Kind.TEXT:
        return ((answer(t._("No note"), "skip"),),)
    if q.skippable and q.kind is Kind.PHOTO:
        return ((answer(t._("No photo"), "skip"),),)
    return ()


def value_text(question: Question, value: Any, t: Translator) -> str:
    if isinstance(value, list):
        return "、".join(value_text(question, v, t) for v in value) or "—"
    if value is None:
        return "—"
    if question.kind is Kind.YESNO and question.guarantee is not None:
        secure, problem = question.says
        return t._(secure) if bool(value) == question.ok_when else t._(problem)
    if question.kind is Kind.YESNO and question.answers_as:
        return next((t._(label) for label, v in question.answers_as if v == bool(value)), "—")
    if question.kind is Kind.YESNO:
        return t._("Yes") if value else t._("No")
    if question.kind is Kind.CHOICE:
        return t._(dict(question.options).get(value, value))
    if question.kind is Kind.AMOUNT:
        return money(value, t)
    if question.kind is Kind.PHOTO:
        return t._("attached")
    if question.kind is Kind.MEMBER and isinstance(value, dict):
        return str(value.get("name", ""))
    if question.kind is Kind.DATE:
        return t.date(date.fromisoformat(str(value)))
    return str(value)


# The summary on a phone screen: answers that belong together share a line, and the
# guarantees (food, clothing, schooling, medical care, housing, water) are one line when all
# are secure, else the problems are named.
_LINES = (
    ("visit_method", "members", "school_child"),
    ("income_changed", "expected_income"),
    ("rigid_expense",),
    ("note", "photo"),
)


# The income changes by source, shown after "income changed" in brackets.
_FIRST = ("wage_income", "business_income", "property_income", "transfer_income")
_WITH_INCOME = frozenset({"income_source", "income_amount", *_FIRST})


def _income_changes(draft: DraftView, t: Translator) -> str:
    """The new figures by source, in brackets after "income changed"."""
    answers = draft.answers
    amount_q = QUESTION_BY_ID["income_amount"]
    pairs = list(
        zip(answers.get("income_source") or [], answers.get("income_amount") or [], strict=False)
    )
    pairs += [(q[: -len("_income")], answers[q]) for q in _FIRST if q in answers]
    shown = [
        f"{t._(SOURCE_NAMES.get(source, source))} {value_text(amount_q, amount, t)}"
        for source, amount in pairs
    ]
    return "（" + "、".join(shown) + "）" if shown else ""


def summary_text(draft: DraftView, t: Translator) -> str:
    lines = [
        t._("Check-in for {household}, {week}. Please check:").format(
            household=household_line(draft.household), week=week_label(draft.week, t)
        )
    ]
    answered: dict[str, str] = {}
    secure: list[str] = []
    problems: list[str] = []
    cause_q, amount_q = QUESTION_BY_ID["expense_cause"], QUESTION_BY_ID["expense_amount"]
    for question, value in summary_rows(draft.answers, draft.household.facts):
        if question.id in _WITH_INCOME:
            continue  # listed with the income answer
        if question.id in ("expense_cause", "expense_amount"):
            continue  # listed with the rigid-expenditure answer
        if question.guarantee is not None:
            ok = bool(value) == question.ok_when
            (secure if ok else problems).append(t._(question.label))
            continue
        text = f"{t._(question.label)}：{value_text(question, value, t)}"
        if question.id == "rigid_expense" and value:
            spent = [
                f"{value_text(cause_q, cause, t)} {value_text(amount_q, amount, t)}"
                for cause, amount in zip(
                    draft.answers.get("expense_cause") or [],
                    draft.answers.get("expense_amount") or [],
                    strict=False,
                )
            ]
            text += "（" + "、".join(spent) + "）" if spent else ""
        if question.id == "income_changed" and value:
            text += _income_changes(draft, t)
        answered[question.id] = text
    if recorded(draft.answers):
        answered["members"] = _members_line(draft, t)
    from_members = school_from_members(draft.answers)
    if from_members is not None:
        answered["school_child"] = (
            t._("Child of compulsory-school age: yes (by the members' birth dates)")
            if from_members
            else t._("Child of compulsory-school age: none (by the members' birth dates)")
        )
    elif draft.household.has_school_child is False and "school_child" not in draft.answers:
        answered["school_child"] = t._("Child of compulsory-school age: none (recorded earlier)")
    for group in _LINES[:3]:
        parts = [answered[q] for q in group if q in answered]
        if parts:
            lines.append("• " + "；".join(parts))
    if draft.income is not None:  # the figure the answers give, with its parts
        head, how = income_lines(draft.income, t)
        lines.append(f"• {head}\n  {how}")
    if problems:
        lines.append("• " + t._("⚠️ Problem: {areas}").format(areas="、".join(problems)))
        if secure:
            lines.append("• " + t._("Secure: {areas}").format(areas="、".join(secure)))
    elif secure:
        lines.append("• " + t._("Food, clothing, schooling, medical care, housing, water: secure"))
    parts = [answered[q] for q in _LINES[3] if q in answered]
    if parts:
        lines.append("• " + "；".join(parts))
    return "\n".join(lines)


def _members_line(draft: DraftView, t: Translator) -> str:
    """The members' changes and how many live in the household after them."""
    said = []
    for c in changes_of(draft.answers):
        what = t._(dict(CHANGE_NAMES)[c.change.value])
        said.append(f"{what} {c.name}（{c.relation}）")
    changed = "、".join(said) if said else t._("No change")
    return t._("Members: {changes}; living together: {n}").format(
        changes=changed, n=living_after(draft.answers)
    )


def summary_keyboard(t: Translator) -> Keyboard:
    return ((Button(t._("✅ Confirm"), CONFIRM.data()), Button(t._("✏️ Edit"), EDIT.data())),)


def edit_keyboard(draft: DraftView, t: Translator) -> Keyboard:
    questions = editable(draft.answers, draft.household.facts)
    buttons = [Button(t._(QUESTION_BY_ID[q].label), EDIT_ONE.data(question=q)) for q in questions]
    return (
        *_rows(buttons, 2),
        (Button(t._("↩️ Back to the summary"), BACK_TO_SUMMARY.data()),),
    )


def show(draft: DraftView, t: Translator, prefix: str | None = None) -> Say:
    """The draft's next question, or its summary when all is answered; `prefix` first."""
    step = next_step(draft.answers, draft.household.facts, draft.editing)
    if step is None:
        text, keyboard = summary_text(draft, t), summary_keyboard(t)
    else:
        text, keyboard = question_text(step, draft, t), question_keyboard(step, draft, t)
    return Say(f"{prefix}\n\n{text}" if prefix else text, keyboard)


def in_place(say: Say) -> Edit:
    """The same text and buttons, as an edit of the message whose button was pressed."""
    return Edit(say.text, say.keyboard)


def result_text(result: ConfirmResult, t: Translator) -> str:
    a = result.assessment
    lines = [t._("Saved: check-in for household {number}.").format(number=result.household_number)]
    if result.correction:
        lines.append(
            t._("It replaces the check-in recorded earlier this week, which stays in the history.")
        )
    lines.append(t._("Risk level: {level}").format(level=level_text(a.level, t)))
    lines.extend(income_lines(result.income, t))
    if a.reasons:
        lines.append(t._("Why:"))
        lines.extend(reasons_text(a.reasons, t))
    if a.level is Level.RED:
        change = result.alert
        if change.action in ("opened", "updated") and change.chats:
            lines.append(
                t._(
                    "The red warning is being posted to the village and township groups "
                    "(if it can not be delivered, the township staff are told)."
                )
            )
        elif change.action in ("opened", "updated"):
            lines.append(
                t._(
                    "No group is bound for this village or township yet: please tell "
                    "the village committee today."
                )
            )
        else:
            lines.append(t._("The household is already on red alert; the village knows."))
    elif a.level is Level.WATCH:
        lines.append(t._("Keep an eye on the household and visit it on schedule."))
    else:
        lines.append(t._("Thank you. See you at the next visit."))
    return "\n".join(lines)
