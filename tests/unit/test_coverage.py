"""Coverage (缺啥补啥): which risk a reason names, which delivered categories cover it, and
elimination's measure criterion asking for a delivered measure for each risk."""

from __future__ import annotations

from monitoring.coverage import COVERS, RISKS, Cover, coverage, risk_of, risks_of, uncovered
from monitoring.elimination import elimination_criteria
from monitoring.measures import CATEGORIES
from monitoring.risk import GUARANTEES
from tests.unit.test_proposals_domain import THIS_WEEK, facts


def test_each_reason_names_its_risk() -> None:
    for guarantee in GUARANTEES:
        assert risk_of(f"guarantee_{guarantee}") == guarantee
    assert risk_of("income_below_red_line") == "income"
    assert risk_of("income_below_watch_line") == "income"
    # a large expenditure or a drop in income is no risk of its own to cover
    assert risk_of("expenditure_above_last_year_income") is None
    assert risk_of("income_dropped") is None
    assert risk_of("guarantee_unknown") is None
    codes = ["guarantee_water", "income_below_red_line", "guarantee_water", "income_dropped"]
    assert risks_of(codes) == ("income", "water")  # each once, in the plan's order


def test_the_table_covers_every_risk_with_known_categories() -> None:
    assert set(COVERS) == set(RISKS)
    for categories in COVERS.values():
        assert categories and set(categories) <= set(CATEGORIES)


def test_a_risk_is_covered_by_a_delivered_measure_of_a_matching_category() -> None:
    risks = ("medical", "education", "housing", "water", "food", "clothing", "income")
    assert uncovered(risks, ()) == (
        "income",
        "food",
        "clothing",
        "education",
        "medical",
        "housing",
        "water",
    )
    assert uncovered(["medical"], ["relief"]) == ()
    assert uncovered(["medical"], ["health"]) == ()
    assert uncovered(["medical"], ["education", "housing"]) == ("medical",)
    assert uncovered(["education"], ["relief"]) == ("education",)
    assert uncovered(["food", "clothing"], ["protection"]) == ()
    assert uncovered(["food"], ["employment"]) == ("food",)
    for category in ("industry", "employment", "finance", "protection"):
        assert uncovered(["income"], [category]) == ()
    assert uncovered(["income"], ["relief"]) == ("income",)
    assert coverage(["water", "income"], ["water", "finance", "industry"]) == [
        Cover("income", ("industry", "finance")),
        Cover("water", ("water",)),
    ]


def test_elimination_wants_a_delivered_measure_for_each_risk() -> None:
    def measure(**changes: object) -> tuple[bool, dict[str, str]]:
        [criterion] = [
            c
            for c in elimination_criteria(facts(**changes), THIS_WEEK)
            if c.code == "measure_taken"
        ]
        return criterion.holds, dict(criterion.numbers)

    # one measure was enough before; it is not when it covers only one of two risks
    held, numbers = measure(measures=1, risks=("food", "medical"), delivered=("relief",))
    assert held and numbers["uncovered"] == ""
    held, numbers = measure(measures=1, risks=("food", "medical"), delivered=("protection",))
    assert not held and numbers["uncovered"] == "medical"
    held, numbers = measure(measures=2, risks=("income", "water"), delivered=("employment",))
    assert not held and numbers["uncovered"] == "water"
    assert measure(measures=2, risks=("income", "water"), delivered=("employment", "water"))[0]
    # no delivered measure at all still fails, even with no risk on record
    assert not measure(measures=0, risks=(), delivered=())[0]
    assert measure(measures=1, risks=(), delivered=("other",))[0]
