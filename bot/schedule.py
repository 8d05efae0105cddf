"""Running the scheduled jobs: APScheduler 3 fires them at their cron times; a `job_runs`
row per job and scheduled time says what ran, so after downtime each job whose time passed
runs once when the bot comes back (the latest missed time only, within the job's grace).

Why not a persistent APScheduler job store: the jobs are fixed and re-registered at every
start, and "what is owed" is a fact about our data (which scheduled time has run), which a
table answers and a test can check; the jobs themselves are idempotent (outbox keys), so a
run too many sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.settings import Settings
from conversations.engine.services import Services
from scheduler.base import Sender, Tx
from scheduler.escalations import escalations
from scheduler.housekeeping import CRON as HOUSEKEEPING_CRON
from scheduler.housekeeping import housekeeping
from scheduler.jobs import missed_visits, reminders, weekly_summary
from scheduler.leads import CRON as LEAD_REMINDERS_CRON
from scheduler.leads import lead_reminders
from scheduler.measures import measure_reminders
from scheduler.policy_check import CRON as POLICY_CHECK_CRON
from scheduler.policy_check import policy_check
from storage.schedule import Schedule

log = logging.getLogger(__name__)
JobFunction = Callable[[datetime, Tx, Sender], Awaitable[int]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    crons: list[str]
    grace: timedelta  # how late a missed run may still be made up
    run: JobFunction


def job_specs(settings: Settings) -> dict[str, JobSpec]:
    tz = settings.tz
    after = timedelta(hours=settings.alert_escalate_after_hours)
    weeks = settings.missed_weeks_escalate

    async def run_reminders(now: datetime, tx: Tx, sender: Sender) -> int:
        return await reminders(now, tx, sender, tz=tz, cadence=settings.policy.visits)

    async def run_missed(now: datetime, tx: Tx, sender: Sender) -> int:
        return await missed_visits(
            now, tx, sender, tz=tz, escalate_after_weeks=weeks, cadence=settings.policy.visits
        )

    async def run_escalations(now: datetime, tx: Tx, sender: Sender) -> int:
        return await escalations(
            now, tx, sender, after=after, tz=tz, notice_days=settings.policy.notice_days
        )

    async def run_summary(now: datetime, tx: Tx, sender: Sender) -> int:
        return await weekly_summary(
            now,
            tx,
            sender,
            tz=tz,
            notice_days=settings.policy.notice_days,
            cadence=settings.policy.visits,
        )

    async def run_measure_reminders(now: datetime, tx: Tx, sender: Sender) -> int:
        return await measure_reminders(now, tx, sender, tz=tz, plan_days=settings.policy.plan_days)

    async def run_policy_check(now: datetime, tx: Tx, sender: Sender) -> int:
        return await policy_check(now, tx, sender, policy=settings.policy, tz=tz)

    async def run_lead_reminders(now: datetime, tx: Tx, sender: Sender) -> int:
        return await lead_reminders(now, tx, sender, tz=tz)

    day, week = timedelta(days=1), timedelta(days=6)
    return {
        "reminders": JobSpec("reminders", settings.crons("reminders"), day, run_reminders),
        "missed-visits": JobSpec(
            "missed-visits", settings.crons("missed-visits"), week, run_missed
        ),
        "escalations": JobSpec("escalations", settings.crons("escalations"), day, run_escalations),
        "weekly-summary": JobSpec(
            "weekly-summary", settings.crons("weekly-summary"), week, run_summary
        ),
        # help measures near their deadline, and new households with none yet: told privately
        "measure-reminders": JobSpec(
            "measure-reminders",
            settings.crons("measure-reminders"),
            day,
            run_measure_reminders,
        ),
        # the bookkeeping of handled updates (no messages; not a setting)
        "housekeeping": JobSpec("housekeeping", [HOUSEKEEPING_CRON], day, housekeeping),
        # a year without a line in the policy file: the staff told (also at start-up)
        "policy-check": JobSpec("policy-check", [POLICY_CHECK_CRON], day, run_policy_check),
        # leads not checked by their day, to who must check them (issue 30)
        "lead-reminders": JobSpec("lead-reminders", [LEAD_REMINDERS_CRON], day, run_lead_reminders),
    }


def latest_occurrence(
    crons: list[str], tz: ZoneInfo, now: datetime, grace: timedelta
) -> datetime | None:
    """The latest scheduled time of any of `crons` in (now - grace, now]."""
    best: datetime | None = None
    for cron in crons:
        trigger = CronTrigger.from_crontab(cron, timezone=tz)
        moment = trigger.get_next_fire_time(None, now - grace)
        while moment is not None and moment <= now:
            best = moment if best is None or moment > best else best
            moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return best


class JobScheduler:
    def __init__(
        self,
        specs: dict[str, JobSpec],
        tx: Tx,
        sender: Sender,
        tz: ZoneInfo,
        clock: Callable[[], datetime],
    ) -> None:
        self.specs, self.tx, self.sender, self.tz, self.clock = specs, tx, sender, tz, clock
        self.aps: AsyncIOScheduler | None = None
        self.catching_up: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.aps = AsyncIOScheduler(timezone=self.tz)
        for spec in self.specs.values():
            for index, cron in enumerate(spec.crons):
                self.aps.add_job(
                    self._fire,
                    CronTrigger.from_crontab(cron, timezone=self.tz),
                    args=[spec.name],
                    id=f"{spec.name}:{index}",
                    replace_existing=True,
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=int(spec.grace.total_seconds()),
                )
        self.aps.start()
        self.catching_up = asyncio.create_task(self.catch_up(), name="catch-up")

    async def stop(self) -> None:
        if self.catching_up is not None:
            await asyncio.gather(self.catching_up, return_exceptions=True)
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None

    async def catch_up(self) -> None:
        """Run once each job whose latest scheduled time passed without a run. The very
        first start is recorded: nothing is owed from before it."""
        for spec in self.specs.values():
            await self._catch_up(spec)

    async def _catch_up(self, spec: JobSpec) -> None:
        now = self.clock()
        name = spec.name

        def first_start(session: Session) -> datetime | None:
            """When the bot first ran this job's schedule; recorded now if never."""
            schedule = Schedule(session)
            since = schedule.first_seen(name)
            if since is None:
                schedule.start_run(name, now, now=now)
                schedule.finish_run(name, now, "first start: nothing owed before")
            return since

        since = await self.tx(first_start)
        occurrence = latest_occurrence(spec.crons, self.tz, now, spec.grace)
        if since is None or occurrence is None or occurrence <= since:
            return
        if await self.run(name, occurrence):
            log.info("caught up %s scheduled at %s", name, occurrence.isoformat())

    async def _fire(self, name: str) -> None:
        spec = self.specs[name]
        now = self.clock()
        occurrence = latest_occurrence(spec.crons, self.tz, now, spec.grace) or now
        await self.run(name, occurrence)

    async def run(self, name: str, occurrence: datetime) -> bool:
        """Run `name` for `occurrence` unless it ran for it already."""
        now = self.clock()
        if not await self.tx(lambda s: Schedule(s).start_run(name, occurrence, now=now)):
            return False
        try:
            count = await self.specs[name].run(now, self.tx, self.sender)
            outcome = f"ok: {count} queued"
        except Exception as exc:  # a failing job must not stop the others
            log.exception("job %s for %s failed", name, occurrence.isoformat())
            outcome = f"error: {exc}"
        await self.tx(lambda s: Schedule(s).finish_run(name, occurrence, outcome))
        return True


class WakeSender:
    """In the bot: the outbox worker delivers; a job only wakes it."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self.wake = wake

    async def flush(self) -> None:
        self.wake()


async def start_jobs(
    settings: Settings, services: Services, wake: Callable[[], None]
) -> JobScheduler:
    """The scheduled jobs (and those owed after downtime) started for a running bot, and the
    policy check run at once (a year without a line: the staff are told now, not at 08:00)."""
    jobs = JobScheduler(
        job_specs(settings), services.tx, WakeSender(wake), services.tz, lambda: services.now()
    )
    jobs.start()
    try:
        await policy_check(
            services.now(),
            services.tx,
            WakeSender(wake),
            policy=services.policy,
            tz=services.tz,
        )
    except SQLAlchemyError:
        log.exception("policy check at start-up failed (the daily run will try again)")
    return jobs
