"""/summary's leads, per source: received in the week, checked in it (in time), overdue now,
and the outcomes recorded. Counts and sources' names only; a group is told the counts of all
sources together (no department's name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from conversations.leads.texts import source_name
from monitoring.i18n import Translator
from monitoring.leads import OUTCOME_NAMES, Outcome, in_time, is_overdue
from storage.leads import Leads


@dataclass
class SourceCounts:
    source: str
    received: int = 0
    checked: int = 0
    in_time: int = 0
    overdue: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)


def lead_counts(
    session: Session,
    *,
    township_id: int,
    village_id: int | None,
    start: date,
    end: date,
    today: date,
    days: int,
) -> list[SourceCounts]:
    found: dict[str, SourceCounts] = {}
    for lead in Leads(session).of_week(township_id, village_id, start, end):
        counts = found.setdefault(lead.source, SourceCounts(lead.source))
        outcome = Outcome(lead.outcome) if lead.outcome else None
        if start <= lead.received_on <= end:
            counts.received += 1
        if outcome is not None and lead.checked_on and start <= lead.checked_on <= end:
            counts.checked += 1
            counts.in_time += in_time(lead.received_on, lead.checked_on, days)
            counts.outcomes[outcome] = counts.outcomes.get(outcome, 0) + 1
        if is_overdue(lead.received_on, outcome, today, days):
            counts.overdue += 1
    return sorted(found.values(), key=lambda c: (-c.received, c.source))


ALL_SOURCES = ""  # the merged line of a group's /summary


def merged(counts: list[SourceCounts]) -> list[SourceCounts]:
    """All sources as one line: what a group is told (no department's name)."""
    total = SourceCounts(ALL_SOURCES)
    for c in counts:
        total.received += c.received
        total.checked += c.checked
        total.in_time += c.in_time
        total.overdue += c.overdue
        for outcome, n in c.outcomes.items():
            total.outcomes[outcome] = total.outcomes.get(outcome, 0) + n
    return [total]


def leads_text(counts: list[SourceCounts], t: Translator) -> str:
    if len(counts) == 1 and counts[0].source == ALL_SOURCES:
        lines = [t._("Leads this week:")]
    else:
        lines = [t._("Leads this week, by source:")]
    for c in counts:
        line = t._(
            "• {source}: {received} received, {checked} checked ({in_time} in time), "
            "{overdue} overdue"
        ).format(
            source=source_name(c.source, t) if c.source != ALL_SOURCES else t._("all"),
            received=t.number(c.received),
            checked=t.number(c.checked),
            in_time=t.number(c.in_time),
            overdue=t.number(c.overdue),
        )
        if c.outcomes:
            outcomes = "、".join(
                f"{t._(OUTCOME_NAMES[o])} {t.number(n)}"
                for o in Outcome
                if (n := c.outcomes.get(o))
            )
            line = t._("{counts}; {outcomes}").format(counts=line, outcomes=outcomes)
        lines.append(line)
    return "\n".join(lines)
