"""What each kind of outbox row carries: one pydantic model per kind, tagged by the row's
`kind` column, checked where a row is written (`Outbox.enqueue`: a producer's mistake fails
its own transaction, not a send days later) and where it is read back (`Outbox.queued`: the
drain renders a typed value; a row that does not fit is given up, the staff told).

A payload holds only what the message needs when it is rendered (ids, week labels, masked
names): the words are chosen then, in the reader's language."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    KINDS: ClassVar[tuple[str, ...]] = ()


class Notice(Payload):
    """A private notice: a msgid and its parameters; `translate` names the parameters that
    are msgids themselves (a measure's kind, a unit)."""

    KINDS = ("notice",)
    text: str
    params: dict[str, Any] = Field(default_factory=dict)
    translate: list[str] = Field(default_factory=list)
    dates: list[str] = Field(default_factory=list)  # parameters that are ISO dates
    record_for: int | None = None  # a household: the notice carries "record a help measure"


class Undelivered(Payload):
    """A message that could not be delivered, told to the township's staff."""

    KINDS = ("undelivered",)
    row: int
    kind: str
    error: str
    household: str | None = None
    group: str | None = None
    person: str | None = None


class ProposalStep(Payload):
    """A proposal waiting at `step` for the reader's decision (`late`: past its deadline)."""

    KINDS = ("proposal",)
    proposal_id: int
    step: str
    late: bool = False


class AlertCopy(Payload):
    """A warning's message to a group (opened, widened, closed, escalated): where it went
    instead of the village group, if it did."""

    KINDS = ("alert", "alert_update", "all_clear", "escalation")
    village_group_failed: bool = False
    no_village_group: bool = False


class AlertDetail(Payload):
    """A warning's reasons in full, privately (`update`: the warning widened)."""

    KINDS = ("alert_detail",)
    update: bool = False


class Period(Payload):
    """A job's visit period: nothing for weekly visits; else its first and last week."""

    week: str
    period: tuple[str, str] | None = None
    cadence: str | None = None


class Reminder(Period):
    KINDS = ("reminder",)
    households: list[tuple[int, str, str]]  # id, number, head's name


class MissedHelper(Period):
    KINDS = ("missed_helper",)
    households: list[tuple[str, str]]  # number, head's name


class MissedVillage(Period):
    KINDS = ("missed_village",)
    village: str
    by_helper: list[tuple[str, list[tuple[str, str]]]]  # helper, (number, masked head)


class MissedTownship(Period):
    KINDS = ("missed_township",)
    weeks: int
    households: list[tuple[str, str, str, str]]  # village, number, masked head, helper
    no_group: list[tuple[str, str]]  # village, how many missed
    unreachable: list[str]


class WeeklySummary(Payload):
    """Last week's numbers for a township group (masked names only), with its chart."""

    KINDS = ("weekly_summary", "weekly_chart")
    week: str
    township: str
    at: str  # local time of the summary, ISO
    cadence: str | None = None
    late_proposals: list[tuple[int, str, str, str]]  # id, head, step, since (ISO)
    villages: list[tuple[str, int, int, int, int, int]]  # name, monitored, done, missed, …
    open_red: list[tuple[str, str, str, str, bool, int]]  # village, number, head, opened, …
    uncovered: int = 0  # households with a risk no delivered measure covers (缺啥补啥)
    late_by_unit: list[tuple[str, int]] = Field(default_factory=list)  # unit, measures overdue
    # leads past their check day: source, village ("": not known yet), days overdue
    overdue_leads: list[tuple[str, str, int]] = Field(default_factory=list)


class MeasureDue(Payload):
    """A measure soon due or overdue, to one who carries it out (no amount)."""

    KINDS = ("measure_due",)
    stage: str  # monitoring.measures.Stage
    measure: int
    number: str
    head: str
    kind: str
    unit: str
    deadline: str  # ISO date


class LeadNotice(Payload):
    """A lead to act on, privately (leads carry ID numbers and health words: never a group):
    `about` a visit (a monitored household a list names, to its helper), new leads to check
    (`n` of them, the earliest check day), or one lead past its check day."""

    KINDS = ("lead_notice",)
    about: Literal["visit", "new", "overdue"]
    source: str  # self, cadre, or a department's name (conversations/leads/texts.py)
    day: str | None = None  # ISO date: the check day
    lead: int | None = None
    n: int = 1
    name: str | None = None  # the lead's person (overdue)
    number: str | None = None  # the household (visit)
    head: str | None = None
    what: str | None = None  # what the list says happened (visit)


class PlanReminder(Payload):
    """A household identified `days` ago with no help measure yet."""

    KINDS = ("plan_reminder",)
    household: int
    number: str
    head: str
    days: int


class PolicyGap(Payload):
    """The policy file has no lines for this year: the township's staff are told."""

    KINDS = ("policy_gap",)
    year: int
    used: int
    township: str


MODELS: dict[str, type[Payload]] = {
    kind: model
    for model in (
        Notice,
        Undelivered,
        ProposalStep,
        AlertCopy,
        AlertDetail,
        Reminder,
        MissedHelper,
        MissedVillage,
        MissedTownship,
        WeeklySummary,
        MeasureDue,
        LeadNotice,
        PlanReminder,
        PolicyGap,
    )
    for kind in model.KINDS
}


class PayloadError(ValueError):
    """A payload that does not fit its kind."""


def parse(kind: str, raw: dict[str, Any] | Payload | None) -> Payload:
    """The typed payload of a row of `kind`; PayloadError when it does not fit."""
    model = MODELS.get(kind)
    if model is None:
        raise PayloadError(f"no outbox kind {kind!r}")
    if isinstance(raw, Payload):
        if not isinstance(raw, model):
            raise PayloadError(f"a {type(raw).__name__} is no payload of {kind!r}")
        return raw
    try:
        return model.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PayloadError(f"payload of {kind!r}: {where}: {first['msg']}") from None


def as_json(payload: Payload) -> dict[str, Any]:
    """What is stored: the fields that differ from their defaults."""
    return payload.model_dump(mode="json", exclude_defaults=True)
