"""Leads (线索): one possible household at risk, found by one of the three channels national
practice names: the household's own report (农户自主申报), a cadre's visit (基层干部排查) or a
department's list (部门筛查预警: 医保局, 民政局 …). Pure: no storage, no texts but msgids.

A lead is checked at home within `lead_check_days` (the policy file, default 5) of the day it
was received, by the village head of its village, or by the township staff while no village is
known (they give it one). Its outcome: 已是监测对象 (already monitored: a visit for that
household's helper), 纳入 (a proposal starts, its 15-day clock from the lead's date), 不纳入
with a reason, or 查无此人 (nobody found). An outcome is recorded once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from monitoring.i18n import N_
from monitoring.people import Role
from monitoring.shapes import looks_private

LEAD_CHECK_DAYS = 5  # the policy file's `lead_check_days`
SELF_REPORT = "self"  # the source of a household's own report through the bot
CADRE = "cadre"  # a cadre's lead
SOURCE_LONGEST = 40
REASON_LONGEST = 500
WHAT_LONGEST = 500
# A household needs one report; these keep one account from flooding a village with leads.
SELF_REPORTS_OPEN = 2  # an account's reports waiting for the village's visit, at most
SELF_REPORTS_A_DAY = 3  # reports one account may send in a day


class Outcome(StrEnum):
    MONITORED = "monitored"  # 已是监测对象
    INCLUDED = "included"  # 纳入 (a proposal started)
    EXCLUDED = "excluded"  # 不纳入 (with a reason)
    NOT_FOUND = "not_found"  # 查无此人


OUTCOME_NAMES: dict[Outcome, str] = {
    Outcome.MONITORED: N_("Already monitored"),
    Outcome.INCLUDED: N_("Included (proposed)"),
    Outcome.EXCLUDED: N_("Not included"),
    Outcome.NOT_FOUND: N_("No such person"),
}
SOURCE_NAMES: dict[str, str] = {
    SELF_REPORT: N_("Self-report"),
    CADRE: N_("Cadre's visit"),
}


class BadOutcome(ValueError):
    """An outcome that can not be recorded; `msgid` says why."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def parse_source(text: str) -> str:
    """A department's name as the list's source (`医保局`): 1 to 40 characters, never an ID
    or phone number (it is shown in /summary, which groups read). ValueError otherwise."""
    name = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if not name or len(name) > SOURCE_LONGEST or looks_private(name):
        raise ValueError(name)
    if name in (SELF_REPORT, CADRE):
        raise ValueError(name)
    return name


def self_report_refusal(waiting: int, today: int) -> tuple[str, int] | None:
    """Why an account may not send another self-report (msgid and its {n}), or None:
    `waiting` of its reports wait for the village's visit, `today` were sent today."""
    if waiting >= SELF_REPORTS_OPEN:
        return (
            N_(
                "You have {n} reports waiting for the village's visit: the village head will "
                "contact you. Please wait for the visit, or call the township."
            ),
            waiting,
        )
    if today >= SELF_REPORTS_A_DAY:
        return (
            N_("You have sent {n} reports today. Please send the next one tomorrow."),
            today,
        )
    return None


def check_deadline(received: date, days: int = LEAD_CHECK_DAYS) -> date:
    """The last day the lead should be checked on."""
    return received + timedelta(days=days)


def is_overdue(received: date, outcome: Outcome | None, today: date, days: int) -> bool:
    """Not checked yet, and past its deadline (reminded daily to who must check it)."""
    return outcome is None and today > check_deadline(received, days)


def in_time(received: date, checked_on: date | None, days: int) -> bool:
    return checked_on is not None and checked_on <= check_deadline(received, days)


def record(current: Outcome | None, outcome: Outcome, reason: str | None) -> str | None:
    """The reason kept with `outcome`: 不纳入 needs one, nothing else takes one. BadOutcome
    when an outcome is recorded already, or the reason is missing."""
    if current is not None:
        raise BadOutcome(N_("This lead has its outcome already: send /leads."))
    text = " ".join((reason or "").split())
    if outcome is Outcome.EXCLUDED:
        if len(text) < 2:
            raise BadOutcome(N_("Please type the reason (a few words)."))
        return text[:REASON_LONGEST]
    return None


@dataclass(frozen=True)
class Checker:
    """Who wants to work a lead."""

    role: Role
    township_id: int
    village_id: int | None


def must_check(
    checker: Checker, *, township_id: int, village_id: int | None, village_has_head: bool = True
) -> bool:
    """Whether `checker` is who must check a lead of this place: its village's head, or the
    township's staff while no village is known or the village has no head using the bot (a
    lead nobody hears of would wait for ever)."""
    if checker.township_id != township_id:
        return False
    if village_id is None or not village_has_head:
        return checker.role is Role.TOWNSHIP_STAFF
    return checker.role is Role.VILLAGE_HEAD and checker.village_id == village_id


def may_work(checker: Checker, *, township_id: int, village_id: int | None) -> bool:
    """Who may record an outcome: who must check it, and the township's staff for any lead of
    their township (they oversee every village)."""
    if must_check(checker, township_id=township_id, village_id=village_id):
        return True
    return checker.role is Role.TOWNSHIP_STAFF and checker.township_id == township_id


def order_key(received: date, outcome: Outcome | None, today: date, days: int) -> tuple[int, date]:
    """Overdue first, then the oldest."""
    return (0 if is_overdue(received, outcome, today, days) else 1, received)


def reported_at(created_at: datetime, lead_on: date | None, tz: tzinfo) -> datetime:
    """When a proposal's 15-day chain starts: the day of the lead it came from (the start of
    that day, local), else the proposal itself (reported as it was made)."""
    if lead_on is None:
        return created_at
    return min(created_at, datetime.combine(lead_on, time(), tzinfo=tz))
