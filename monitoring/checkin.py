"""The weekly check-in as data: a list of question specs and one walker over them.

Adding a question is one entry in QUESTIONS. The walker (`next_step`) finds the first
applicable unanswered question; when there is none, the check-in is ready for its summary.
Answers are JSON-able values keyed by question id; a question in a repeated group (the
rigid expenditures) keeps a list, one value per round.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, TypeAdapter, ValidationError

from monitoring.amounts import AmountError, parse_amount, parse_count
from monitoring.checkin_income import INCOME_FOLLOWERS, INCOME_QUESTIONS
from monitoring.checkin_members import (
    MEMBER_FOLLOWERS,
    MEMBER_QUESTIONS,
    recorded,
    school_basis_of,
    school_from_members,
)
from monitoring.i18n import N_
from monitoring.questions import AnswerError as AnswerError
from monitoring.questions import Answers as Answers
from monitoring.questions import Facts as Facts
from monitoring.questions import Group as Group
from monitoring.questions import Kind as Kind
from monitoring.questions import Question as Question
from monitoring.questions import Step as Step
from monitoring.schooling import SchoolBasis
from monitoring.shapes import looks_private


def has_school_child(answers: Answers, facts: Facts) -> bool | None:
    """From the members' birth dates where they tell (monitoring.schooling), else as
    answered (at this visit, or before)."""
    from_members = school_from_members(answers)
    if from_members is not None:
        return from_members
    value = answers.get("school_child", facts.has_school_child)
    return value if isinstance(value, bool) else None


def _asks_school_child(answers: Answers, facts: Facts, editing: str | None) -> bool:
    """The members tell: never; else when never answered, not yet this school year (asked
    again from 1 September), answered at this visit, or edited."""
    if school_from_members(answers) is not None:
        return False
    return (
        facts.has_school_child is None
        or school_basis_of(answers) is SchoolBasis.ASK
        or "school_child" in answers
        or editing == "school_child"
    )


VISIT_OPTIONS = (("home", N_("At home")), ("phone", N_("By phone")), ("other", N_("Other")))
EXPENSE_CAUSES = (
    ("illness", N_("Illness")),
    ("disability", N_("Disability")),
    ("schooling", N_("Schooling")),
    ("disaster", N_("Disaster")),
    ("accident", N_("Accident")),
    ("other", N_("Other")),
)

EXPENSES = Group(
    "expenses",
    (
        Question(
            "expense_cause",
            Kind.CHOICE,
            N_("What was the expenditure for?"),
            N_("Cause"),
            options=EXPENSE_CAUSES,
        ),
        Question(
            "expense_amount",
            Kind.AMOUNT,
            N_(
                "How much did the household pay itself, in yuan, after medical insurance "
                "reimbursement and assistance (合规自付)? Not the whole bill: only its own "
                "share. (e.g. 5000, 1.2万)"
            ),
            N_("Paid by the household"),
        ),
        Question(
            "expense_more",
            Kind.YESNO,
            N_("Is there another large expenditure to add?"),
            N_("Another"),
        ),
    ),
    applies=lambda a, f, e: a.get("rigid_expense") is True,
)

QUESTIONS: tuple[Question | Group, ...] = (
    Question(
        "visit_method",
        Kind.CHOICE,
        N_("How was this visit made?"),
        N_("Visit"),
        options=VISIT_OPTIONS,
    ),
    Question(
        "members",
        Kind.COUNT,
        N_(
            "How many people live together in the household now? The roster says {members}: "
            "press the button if that is still right, or type the new number."
        ),
        N_("Members living together"),
        applies=lambda a, f, e: not recorded(a),  # recorded: the members' changes instead
    ),
    *MEMBER_QUESTIONS,
    *INCOME_QUESTIONS,
    Question(
        "rigid_expense",
        Kind.YESNO,
        N_(
            "Since the last visit, has the household paid a large rigid expenditure itself "
            "(illness, disability, schooling, disaster, accident), after medical insurance "
            "and assistance?"
        ),
        N_("Large rigid expenditure"),
    ),
    EXPENSES,
    Question(
        "food",
        Kind.YESNO,
        N_("Is the household sure of enough food?"),
        N_("Food secure"),
        guarantee="food",
    ),
    Question(
        "clothing",
        Kind.YESNO,
        N_("Does the household have enough seasonal clothing and bedding?"),
        N_("Clothing and bedding"),
        guarantee="clothing",
    ),
    Question(
        "school_child",
        Kind.YESNO,
        N_("Does the household have a child of compulsory-school age (about 6 to 15)?"),
        N_("Child of compulsory-school age"),
        applies=_asks_school_child,
    ),
    Question(
        "out_of_school",
        Kind.YESNO,
        N_("Is any child of compulsory-school age out of school?"),
        N_("Child out of school"),
        guarantee="education",
        ok_when=False,
        says=(N_("All in school"), N_("Out of school")),
        applies=lambda a, f, e: has_school_child(a, f) is True,
    ),
    # 基本医疗有保障 is two things, asked one at a time: insured, and treatment affordable.
    Question(
        "medical",
        Kind.YESNO,
        N_("Is everyone in the household in basic medical insurance?"),
        N_("Basic medical insurance"),
        guarantee="medical",
    ),
    Question(
        "treatment",
        Kind.YESNO,
        N_("Can the household afford the treatment it needs?"),
        N_("Treatment affordable"),
        guarantee="medical",
    ),
    Question(
        "housing", Kind.YESNO, N_("Is the dwelling safe?"), N_("Dwelling safe"), guarantee="housing"
    ),
    Question(
        "water",
        Kind.YESNO,
        N_("Is the drinking water safe and sufficient?"),
        N_("Drinking water"),
        guarantee="water",
    ),
    Question(
        "note",
        Kind.TEXT,
        N_("Any note about this visit? Type it, or press No note."),
        N_("Note"),
        skippable=True,
    ),
    Question(
        "photo",
        Kind.PHOTO,
        N_("Would you like to add a photo of the visit? Send it, or press No photo."),
        N_("Photo"),
        skippable=True,
    ),
)


def all_questions() -> list[Question]:
    found: list[Question] = []
    for item in QUESTIONS:
        found.extend(item.questions if isinstance(item, Group) else (item,))
    return found


QUESTION_BY_ID: dict[str, Question] = {q.id: q for q in all_questions()}
# The questions a helper may jump to from the summary. A question that only follows another
# (the expected income, the expenditures, a child out of school) is edited with it.
FOLLOWERS: dict[str, tuple[str, ...]] = {
    "income_changed": INCOME_FOLLOWERS,
    "rigid_expense": tuple(q.id for q in EXPENSES.questions),
    "school_child": ("out_of_school",),
    "member_changed": MEMBER_FOLLOWERS,
}
EDITABLE: tuple[str, ...] = tuple(
    item.id
    for item in QUESTIONS
    if isinstance(item, Question) and not any(item.id in f for f in FOLLOWERS.values())
)


def editable(answers: Answers, facts: Facts) -> tuple[str, ...]:
    """The questions of this check-in a helper may change from its summary (those it asks:
    the members' changes or their count; the school-age child only where the members do
    not tell)."""
    return tuple(q for q in EDITABLE if QUESTION_BY_ID[q].applies(answers, facts, q))


def _group_next(group: Group, answers: Answers) -> Step | None:
    lists = {q.id: answers.get(q.id) or [] for q in group.questions}
    round_ = 0
    while True:
        for question in group.questions:
            asked = question.in_round is None or question.in_round(answers, round_)
            if asked and len(lists[question.id]) <= round_:
                return Step(question, round_)
        if lists[group.repeat.id][round_] is not True:
            return None
        round_ += 1


def next_step(answers: Answers, facts: Facts, editing: str | None = None) -> Step | None:
    """The first applicable question still unanswered, or None: ready for the summary."""
    for item in QUESTIONS:
        if not item.applies(answers, facts, editing):
            continue
        if isinstance(item, Group):
            step = _group_next(item, answers)
            if step is not None:
                return step
        elif item.id not in answers:
            return Step(item)
    return None


def record(answers: Answers, step: Step, value: Any) -> Answers:
    """A new answers dict with `value` given to `step`."""
    updated = dict(answers)
    if step.round is None:
        updated[step.question.id] = value
    else:
        values = list(updated.get(step.question.id) or [])
        del values[step.round :]
        values.extend([None] * (step.round - len(values)))  # rounds it was not asked in
        values.append(value)
        updated[step.question.id] = values
    return updated


def clear_for_edit(answers: Answers, question_id: str) -> Answers:
    """Forget the answer and those that follow from it, so the walker asks them again."""
    updated = dict(answers)
    for qid in (question_id, *FOLLOWERS.get(question_id, ())):
        updated.pop(qid, None)
    return updated


# ----------------------------------------------------------------------------- parsing


YES_WORDS = frozenset({"是", "是的", "对", "有", "好", "嗯", "y", "yes", "ok", "1"})
NO_WORDS = frozenset({"否", "不", "不是", "没有", "无", "没", "n", "no", "0"})


def _amount(value: Any) -> Decimal:
    try:
        return parse_amount(str(value))
    except AmountError as exc:
        raise ValueError(exc.reason) from None


def _count(value: Any) -> int:
    if isinstance(value, int):
        value = str(value)
    return parse_count(str(value))


def _yesno(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = unicodedata.normalize("NFKC", str(value)).strip().lower().rstrip("。.!！")
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise ValueError("not yes or no")


Amount = Annotated[Decimal, BeforeValidator(_amount)]
Count = Annotated[int, BeforeValidator(_count)]
YesNo = Annotated[bool, BeforeValidator(_yesno)]
_AMOUNT: TypeAdapter[Decimal] = TypeAdapter(Amount)
_COUNT: TypeAdapter[int] = TypeAdapter(Count)
_YESNO: TypeAdapter[bool] = TypeAdapter(YesNo)

AMOUNT_HINTS = {
    "negative": N_("An amount can not be negative."),
    "too_large": N_("That is more than 10,000,000 yuan; please check the number."),
}


def parse_text_answer(question: Question, text: str) -> Any:
    """The JSON-able value of a typed answer, or AnswerError with a hint."""
    if question.kind is Kind.AMOUNT:
        try:
            return str(_AMOUNT.validate_python(text))
        except ValidationError as exc:
            reason = str(exc.errors()[0].get("ctx", {}).get("error", ""))
            raise AnswerError(
                AMOUNT_HINTS.get(
                    reason, N_("Please type an amount in yuan, such as 4500, 4,500 or 1.2万.")
                )
            ) from None
    if question.kind is Kind.COUNT:
        try:
            return _COUNT.validate_python(text)
        except ValidationError:
            raise AnswerError(
                N_("Please type the number of people living together, a whole number from 1 to 30.")
            ) from None
    if question.kind is Kind.YESNO:
        try:
            return _YESNO.validate_python(text)
        except ValidationError:
            raise AnswerError(N_("Please press one of the buttons (or type 是 or 否).")) from None
    if question.kind is Kind.CHOICE:
        wanted = unicodedata.normalize("NFKC", text).strip()
        for value, _label in question.options:
            if wanted == value:
                return value
        raise AnswerError(N_("Please press one of the buttons."))
    if question.kind is Kind.NAME:
        name = unicodedata.normalize("NFKC", text).strip()
        if not name or len(name) > 50 or any(ch.isdigit() for ch in name) or looks_private(name):
            raise AnswerError(N_("Please type the name, without digits."))
        return name
    if question.kind is Kind.TEXT:
        note = text.strip()
        if not note:
            raise AnswerError(N_("Please type the note as text, or press No note."))
        if len(note) > 1000:
            raise AnswerError(N_("That note is too long; please keep it under 1000 characters."))
        return note
    if question.kind is Kind.PHOTO:
        raise AnswerError(N_("Please send a photo, or press No photo."))
    raise AnswerError(N_("Please press one of the buttons."))


def parse_answer(step: Step, answers: Answers, value: str, *, pressed: bool) -> Any:
    """The value of an answer to `step`: typed, or a button's value (`pressed`); checked
    against the other answers where it depends on them (which member)."""
    question = step.question
    if question.check is not None:
        return question.check(answers, step.round or 0, value, pressed)
    if pressed:
        return parse_button_answer(question, value)
    return parse_text_answer(question, value)


def parse_button_answer(question: Question, value: str) -> Any:
    """The value behind a pressed button of `question`; AnswerError when it is not one."""
    if question.kind is Kind.YESNO and value in ("1", "0"):
        return value == "1"
    if question.kind is Kind.CHOICE and value in {v for v, _ in question.options}:
        return value
    if question.kind is Kind.COUNT and value.isdigit():
        return parse_text_answer(question, value)
    if question.skippable and value == "skip":
        return None
    raise AnswerError(N_("Please press one of the buttons."))
