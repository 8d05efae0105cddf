"""The check-in's income questions, by the basis a check-in started with
(`monitoring.income.Basis`, kept in the draft's answers under BASIS_KEY):

- every basis: has any income changed since the last visit? (one tap: 没有变化);
- `changes` (income by source known): which source changed, its new figure over 12 months,
  another? (in rounds, as the expenditures are);
- `first` (by source, not known yet): on a change, all four figures, once;
- `single` (the policy file's `income_method = "single"`, and drafts from before it
  existed): the year's expected income, one figure."""

from __future__ import annotations

from monitoring.i18n import N_
from monitoring.income import SOURCE_NAMES, SOURCES, Basis
from monitoring.questions import Answers, Group, Kind, Question

BASIS_KEY = "income_basis"


def basis_of(answers: Answers) -> Basis:
    """The basis the check-in started with; a draft from before there was one: single."""
    try:
        return Basis(answers.get(BASIS_KEY, Basis.SINGLE.value))
    except ValueError:
        return Basis.SINGLE


def _changed(answers: Answers, wanted: Basis) -> bool:
    return answers.get("income_changed") is True and basis_of(answers) is wanted


SOURCE_OPTIONS = tuple((s.value, SOURCE_NAMES[s.value]) for s in SOURCES)

CHANGES = Group(
    "income_changes",
    (
        Question(
            "income_source",
            Kind.CHOICE,
            N_("Which income changed?"),
            N_("Changed income"),
            options=SOURCE_OPTIONS,
        ),
        Question(
            "income_amount",
            Kind.AMOUNT,
            N_(
                "How much {source} does the household have now over 12 months, in yuan? "
                "(e.g. 18000, 1.8万; 0 if none)"
            ),
            N_("New figure over 12 months"),
        ),
        Question(
            "income_more",
            Kind.YESNO,
            N_("Has another kind of income changed?"),
            N_("Another"),
        ),
    ),
    applies=lambda a, f, e: _changed(a, Basis.CHANGES),
)

# The four figures a household whose income by source is not known yet gives once.
FIRST_TEXTS = {
    "wage": N_(
        "The household's income by source is not recorded yet. Wage income (work, jobs) "
        "over the last 12 months, in yuan? (0 if none)"
    ),
    "business": N_(
        "Business income over the last 12 months (farming, livestock, a shop: after "
        "production costs), in yuan? (0 if none)"
    ),
    "property": N_(
        "Property income over the last 12 months (rent, land transfer, dividends, "
        "interest), in yuan? (0 if none)"
    ),
    "transfer": N_(
        "Transfer income over the last 12 months (pensions, subsidies, minimum living "
        "allowance, money from relatives), in yuan? (0 if none)"
    ),
}
FIRST: tuple[Question, ...] = tuple(
    Question(
        f"{s.value}_income",
        Kind.AMOUNT,
        FIRST_TEXTS[s.value],
        SOURCE_NAMES[s.value],
        applies=lambda a, f, e: _changed(a, Basis.FIRST),
    )
    for s in SOURCES
)

INCOME_QUESTIONS: tuple[Question | Group, ...] = (
    Question(
        "income_changed",
        Kind.YESNO,
        N_("Has the household's income changed clearly since the last visit?"),
        N_("Income changed"),
        answers_as=((N_("Changed"), True), (N_("No change"), False)),  # as 是 / 否
    ),
    Question(
        "expected_income",
        Kind.AMOUNT,
        N_(
            "What net income does the whole household expect this year, in yuan? "
            "(e.g. 24000, 2.4万)"
        ),
        N_("Expected income this year"),
        applies=lambda a, f, e: _changed(a, Basis.SINGLE),
    ),
    CHANGES,
    *FIRST,
)
# Edited with "income changed": they follow from it.
INCOME_FOLLOWERS: tuple[str, ...] = (
    "expected_income",
    *(q.id for q in CHANGES.questions),
    *(q.id for q in FIRST),
)
