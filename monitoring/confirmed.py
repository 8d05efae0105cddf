"""A check-in the walker says is complete, validated once more before it is stored, and the
rows of its summary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from monitoring.checkin import (
    QUESTIONS,
    Amount,
    Answers,
    Count,
    Facts,
    Group,
    Question,
    all_questions,
    has_school_child,
    next_step,
)
from monitoring.checkin_income import basis_of
from monitoring.checkin_members import MEMBER_FOLLOWERS, MemberChange, changes_of, living_after
from monitoring.checkin_members import recorded as members_recorded
from monitoring.income import SOURCES, Basis, Source
from monitoring.risk import GUARANTEES


class Expense(BaseModel):
    model_config = ConfigDict(frozen=True)
    cause: str
    amount: Amount


class ConfirmedAnswers(BaseModel):
    """A complete check-in, validated once more before it is stored."""

    model_config = ConfigDict(frozen=True)

    visit_method: str
    members: Count
    income_changed: bool
    expected_income: Amount | None = None
    income_basis: Basis = Basis.SINGLE
    # By source (bases `changes` and `first`): the new figures over 12 months of the sources
    # that changed (all four on a first statement).
    income_changes: dict[Source, Amount] = Field(default_factory=dict)
    expenses: tuple[Expense, ...] = ()
    guarantees: dict[str, bool | None] = Field(default_factory=dict)
    school_child: bool | None = None
    asked_school_child: bool = False  # asked at this visit (not told by the members)
    # Recorded members: the changes this visit records (members: those living after them).
    member_changes: tuple[MemberChange, ...] = ()
    note: str | None = None
    photo: str | None = None

    @property
    def expense_total(self) -> Decimal:
        return sum((e.amount for e in self.expenses), Decimal(0))


def confirmed(answers: Answers, facts: Facts) -> ConfirmedAnswers:
    """Build the validated result from a draft the walker says is complete."""
    if next_step(answers, facts) is not None:
        raise ValueError("the check-in is not complete")
    expenses: list[Expense] = []
    if answers.get("rigid_expense") is True:
        for cause, amount in zip(answers["expense_cause"], answers["expense_amount"], strict=False):
            expenses.append(Expense(cause=cause, amount=amount))
    basis = basis_of(answers)
    changes: dict[Source, Any] = {}
    if answers["income_changed"] and basis is Basis.CHANGES:
        # a source named twice: its last round's figure
        for source, amount in zip(
            answers.get("income_source") or [], answers.get("income_amount") or [], strict=False
        ):
            changes[Source(source)] = amount
    elif answers["income_changed"] and basis is Basis.FIRST:
        changes = {s: answers[f"{s.value}_income"] for s in SOURCES}
    school = has_school_child(answers, facts)
    guarantees: dict[str, bool | None] = {item: None for item in GUARANTEES}
    for question in all_questions():
        if question.guarantee is None:
            continue
        if question.applies(answers, facts, None) and question.id in answers:
            ok = answers[question.id] is question.ok_when
            before = guarantees[question.guarantee]  # two questions may answer one item
            guarantees[question.guarantee] = ok if before is None else before and ok
        elif question.guarantee == "education":
            guarantees["education"] = None  # no child of compulsory-school age
    return ConfirmedAnswers(
        visit_method=answers["visit_method"],
        members=living_after(answers) if members_recorded(answers) else answers["members"],
        income_changed=answers["income_changed"],
        expected_income=answers.get("expected_income") if answers["income_changed"] else None,
        income_basis=basis,
        income_changes=changes,
        expenses=tuple(expenses),
        guarantees=guarantees,
        school_child=school,
        asked_school_child="school_child" in answers,
        member_changes=tuple(changes_of(answers)) if members_recorded(answers) else (),
        note=answers.get("note"),
        photo=answers.get("photo"),
    )


def summary_rows(answers: Answers, facts: Facts) -> list[tuple[Question, Any]]:
    """(question, value) for every applicable answered question, in order, for the summary."""
    rows: list[tuple[Question, Any]] = []
    for item in QUESTIONS:
        if not item.applies(answers, facts, None):
            continue
        if isinstance(item, Group) and item.questions[0].id in MEMBER_FOLLOWERS:
            continue  # the summary says the members' changes in its own words
        if isinstance(item, Group):
            for question in item.questions[:-1]:
                rows.append((question, answers.get(question.id) or []))
        elif item.id in answers:
            rows.append((item, answers[item.id]))
    return rows
