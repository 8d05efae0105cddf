"""Bringing households into monitoring (the identification flow, risk types). Pure rules: the
proposal's questions and their validation, the steps a proposal goes through, who decides
at each and where each decision leads. Leaving monitoring: `monitoring/elimination.py`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from monitoring.i18n import N_
from monitoring.people import Role
from monitoring.shapes import looks_private
from monitoring.weeks import parse_day

# docs/policy.md "Risk types", in its order: (code, msgid).
RISK_TYPES: tuple[tuple[str, str], ...] = (
    ("illness", N_("Illness")),
    ("disability", N_("Disability")),
    ("schooling", N_("Schooling costs")),
    ("disaster", N_("Natural disaster")),
    ("accident", N_("Accident")),
    ("project", N_("Failed production project")),
    ("employment", N_("Unstable employment")),
    ("labour", N_("Lack of labour")),
    ("housing", N_("Housing")),
    ("water", N_("Drinking water")),
    ("other", N_("Other")),
)
RISK_CODES = frozenset(code for code, _ in RISK_TYPES)

# The proposal's answers, asked in this order (a draft holds them as JSON).
FIELDS = (
    "village_id",
    "head_name",
    "number",  # "" when not known
    "members",
    "category",
    "risk_types",
    "expected_income",
    "has_labour",
    "consent",  # the household signed its 承诺授权书: True, or False (not yet)
    "note",  # None when skipped
    "photo",  # None when skipped
)
TYPED = frozenset({"head_name", "number", "members", "expected_income", "note"})


class Status(StrEnum):
    """Where a proposal is, in the order of national practice: the village's democratic
    review, the public notice in the village, the township's review, the county's decision
    (recorded by township staff), a helper to be chosen (the household is registered by
    then), or finished."""

    VILLAGE = "village"
    NOTICE = "notice"
    TOWNSHIP = "township"
    COUNTY = "county"
    HELPER = "helper"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def open(self) -> bool:
        return self not in (Status.APPROVED, Status.REJECTED)


NOTICE_DAYS = 5  # the public notice's period, at least (the policy file's `notice_days`)
CHAIN_DAYS = 15  # the whole chain, from the first report
# Each step's time, in days (the notice: its period and two days to post it and go on).
STEP_DAYS = {
    Status.VILLAGE: 3,
    Status.TOWNSHIP: 3,
    Status.COUNTY: 5,
    Status.HELPER: 2,
}


def step_deadline(status: Status, since: datetime, notice_days: int = NOTICE_DAYS) -> datetime:
    """When the step that began at `since` is due."""
    days = notice_days + 2 if status is Status.NOTICE else STEP_DAYS.get(status, CHAIN_DAYS)
    return since + timedelta(days=days)


def is_late(status: Status, since: datetime, now: datetime, notice_days: int = NOTICE_DAYS) -> bool:
    """An open step past its deadline (reminded to its holders daily, listed on Mondays)."""
    return status.open and now > step_deadline(status, since, notice_days)


CONSENT_FIRST = N_(
    "The household has not signed its consent and authorisation (承诺授权书) yet: it is needed "
    "before the village review. When it is signed, press “Consent signed”."
)


def consent_asked(kind: Kind, status: Status) -> bool:
    """Where the household's consent (承诺授权: that its income, assets and so on may be
    checked) stands between a proposal and its next step: at the village review of a household
    to take in. An elimination needs none."""
    return kind is Kind.IDENTIFY and status is Status.VILLAGE


def check_consent(kind: Kind, status: Status, decision: Decision, consented: bool) -> None:
    """A household is taken in only with its consent, recorded before the village review
    approves; recorded once."""
    if not consent_asked(kind, status):
        if decision is Decision.CONSENT:
            raise Refused(N_("Please press one of the buttons."))
        return
    if decision is Decision.APPROVE and not consented:
        raise Refused(CONSENT_FIRST)
    if decision is Decision.CONSENT and consented:
        raise Refused(N_("The household's consent is recorded already."))


def chain_days(reported: datetime, until: datetime) -> int:
    """Whole days from the first report (the chain should take at most CHAIN_DAYS)."""
    return max(0, (until - reported).days)


def check_notice(
    decision: Decision, posted_at: datetime | None, now: datetime, notice_days: int
) -> None:
    """At the notice step: post it once; objections while it is up; go on to the township
    only when its period has passed."""
    if decision is Decision.POST and posted_at is not None:
        raise Refused(N_("The public notice has been posted already."))
    if decision in (Decision.OBJECT, Decision.APPROVE) and posted_at is None:
        raise Refused(
            N_("Please post the public notice first (its text is above), then press Posted.")
        )
    if decision is Decision.APPROVE and posted_at is not None:
        ends = posted_at + timedelta(days=notice_days)
        if now < ends:
            left = -(-(ends - now) // timedelta(days=1))  # whole days, rounded up
            raise Refused(N_("The notice period is not over: {days} day(s) left."), days=left)


_COUNTY_RE = re.compile(r"^\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)\s*(.*)$", re.S)


COUNTY_EARLIEST = date(2015, 1, 1)  # a county decision older than the ledgers: a typo


class BadAnswer(ValueError):
    """A typed answer that can not be taken: `msgid` says why (with `params`), and the
    question is asked again."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def parse_county_decision(text: str, today: date, *, reported: date) -> tuple[date, str]:
    """`2026-12-01 永农发〔2026〕12号`: the county's decision, its date (not in the future,
    not before the proposal was `reported`) and its document number (which never holds an
    ID or mobile number: it goes into the ledger). BadAnswer otherwise. (A document number
    that looks like a formula is stored as typed: the ledger writes every such cell as
    text, `conversations/reports/ledger.py`.)"""
    match = _COUNTY_RE.match(unicodedata.normalize("NFKC", text))
    hint = N_(
        "Please type the decision's date and its document number, e.g. "
        "2026-12-01 永农发〔2026〕12号."
    )
    if match is None:
        raise BadAnswer(hint)
    try:
        day = parse_day(match.group(1), earliest=COUNTY_EARLIEST, today=date.max)
    except ValueError:
        raise BadAnswer(hint) from None
    if day > today:
        raise BadAnswer(
            N_(
                "The county's decision can not be dated in the future. Please type its date "
                "and document number again."
            )
        )
    if day < reported:
        raise BadAnswer(
            N_(
                "The county's decision can not be dated before the proposal was reported "
                "({day}). Please type its date and document number again."
            ),
            day=reported.isoformat(),
        )
    document = " ".join(match.group(2).split())
    if not 2 <= len(document) <= 100:
        raise BadAnswer(hint)
    if looks_private(document):
        raise BadAnswer(
            N_(
                "A document number never holds a phone or ID number. Please type the "
                "decision's date and its document number only, e.g. "
                "2026-12-01 永农发〔2026〕12号."
            )
        )
    return day, document


_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def next_field(answers: dict[str, Any]) -> str | None:
    """The first question not answered yet, or None when the proposal is complete."""
    for name in FIELDS:
        if name not in answers:
            return name
        if name == "risk_types" and not answers.get("risk_types_done"):
            return name
    return None


def parse_head_name(text: str) -> str:
    """A person's name: 2 to 20 characters, letters (and spaces or ·), no digits."""
    name = unicodedata.normalize("NFKC", text).strip()
    if not 2 <= len(name) <= 20:
        raise ValueError(N_("Please type the name of the head of household (2 to 20 characters)."))
    if any(c.isdigit() for c in name) or not all(c.isalpha() or c in " ·." for c in name):
        raise ValueError(N_("A name has letters only: please type the name again."))
    return name


def parse_household_number(text: str) -> str:
    """A household number as ledgers write it: letters, digits, - and _ (up to 64)."""
    number = unicodedata.normalize("NFKC", text).strip().upper()
    if looks_private(number):  # groups read the household number (README, privacy)
        raise ValueError(
            N_(
                "That looks like an ID or mobile number, which groups must never see. Please "
                "type the household number of the ledger, e.g. LX01012."
            )
        )
    if not _NUMBER_RE.match(number):
        raise ValueError(N_("A household number has letters, digits, - and _ only, e.g. LX01012."))
    return number


def parse_note(text: str) -> str:
    note = text.strip()
    if not note:
        raise ValueError(N_("Please type a note, or press Skip."))
    if len(note) > 1000:
        raise ValueError(N_("Please keep the note under 1000 characters."))
    return note


class Refused(Exception):
    """A step that may not be taken (the wrong person, a step already decided...); `msgid`
    says why, translated by whoever tells the person."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


class Kind(StrEnum):
    """What a proposal asks: to take a household into monitoring, or to mark its risk
    eliminated. Both go the same way: village review, public notice, township, county."""

    IDENTIFY = "identify"
    ELIMINATE = "eliminate"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ASSIGN = "assign"  # the helper chosen
    POST = "post"  # the public notice posted in the village
    OBJECT = "object"  # an objection to the notice, recorded
    CONSENT = "consent"  # the household signed its consent (承诺授权书), recorded


# The steps: who decides at each, and where each decision leads.
DECIDER = {
    Status.VILLAGE: Role.VILLAGE_HEAD,
    Status.NOTICE: Role.VILLAGE_HEAD,
    Status.TOWNSHIP: Role.TOWNSHIP_STAFF,
    Status.COUNTY: Role.TOWNSHIP_STAFF,  # records the county's decision (see `decider`)
    Status.HELPER: Role.TOWNSHIP_STAFF,
}
NEXT: dict[tuple[Status, Decision], Status] = {
    (Status.VILLAGE, Decision.APPROVE): Status.NOTICE,
    (Status.VILLAGE, Decision.REJECT): Status.REJECTED,
    (Status.VILLAGE, Decision.CONSENT): Status.VILLAGE,
    (Status.NOTICE, Decision.POST): Status.NOTICE,
    (Status.NOTICE, Decision.OBJECT): Status.NOTICE,
    (Status.NOTICE, Decision.APPROVE): Status.TOWNSHIP,  # the period over
    (Status.NOTICE, Decision.REJECT): Status.REJECTED,  # an objection upheld
    (Status.TOWNSHIP, Decision.APPROVE): Status.COUNTY,
    (Status.TOWNSHIP, Decision.REJECT): Status.REJECTED,
    (Status.COUNTY, Decision.APPROVE): Status.HELPER,  # the household is registered
    (Status.COUNTY, Decision.REJECT): Status.REJECTED,
    (Status.HELPER, Decision.ASSIGN): Status.APPROVED,
}


@dataclass(frozen=True)
class Place:
    """Where a person or a proposal is."""

    township_id: int
    village_id: int | None


def decider(status: Status, county_staff: bool = False) -> Role | None:
    """Who decides at `status`. The county's decision is recorded by the county staff the
    roster names for the proposal's township (`county_staff`), else by its township staff."""
    if status is Status.COUNTY and county_staff:
        return Role.COUNTY_STAFF
    return DECIDER.get(status)


def who_decides(status: Status, county_staff: bool = False) -> str:
    """Why a person may not decide at this step (msgid)."""
    if status is Status.COUNTY and county_staff:
        return N_("The county staff record the county's decision.")
    return N_("Only the village heads of its village (then township staff) decide.")


def may_decide(
    status: Status, role: Role, person: Place, proposal: Place, county_staff: bool = False
) -> bool:
    """The village heads of its village at the village and notice steps; the staff of its
    township at the township step, and they choose the helper; at the county step the
    township's county staff when the roster names any, else its township staff."""
    if decider(status, county_staff) is not role:
        return False
    if role is Role.VILLAGE_HEAD:
        return person.village_id == proposal.village_id
    return person.township_id == proposal.township_id


def check_step(status: Status, step: str) -> None:
    """A decision applies to the step it was shown for: once the proposal has moved on
    (someone else decided first), it is refused, saying where the proposal is now
    (`status`: a Status, put in the reader's words by whoever tells them)."""
    if status != step:
        raise Refused(
            N_("This proposal has already been decided at this step. Now: {status}."),
            status=status,
        )


def decide(
    status: Status,
    step: str,
    decision: Decision,
    role: Role,
    person: Place,
    proposal: Place,
    kind: Kind = Kind.IDENTIFY,
    county_staff: bool = False,
) -> Status:
    """The status after `decision` taken at `step` (the step the person saw); Refused when
    it is no longer that step, the person may not decide, or the step takes no such
    decision."""
    check_step(status, step)
    if not may_decide(status, role, person, proposal, county_staff):
        raise Refused(who_decides(status, county_staff))
    after = NEXT.get((status, decision))
    if after is None:
        if status is Status.HELPER:
            raise Refused(N_("The household is registered: choose its helper."))
        raise Refused(N_("Please press one of the buttons."))
    if kind is Kind.ELIMINATE and after is Status.HELPER:
        return Status.APPROVED  # the risk is marked eliminated: no helper to choose
    return after
