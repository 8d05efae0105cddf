"""/summary [YYYY-Www]: the week in numbers, for township staff (the town) and village heads
(their village); helpers get their own households (as /mine); anyone else is refused."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, tzinfo

from babel.numbers import format_percent
from sqlalchemy.orm import Session

from conversations.engine.events import ChatKind
from conversations.engine.replies import Photo, Reply, Say
from conversations.engine.services import Services
from conversations.engine.turn import Turn
from conversations.leads.counts import lead_counts, leads_text, merged
from conversations.reports.charts import trend_chart, week_chart
from conversations.reports.mine import mine
from conversations.texts import period_label, policy_gap_text, week_label
from conversations.warnings.texts import unit_name
from monitoring.cadence import Cadence, period_of
from monitoring.i18n import N_, Translator
from monitoring.people import Role, mask_name
from monitoring.weeks import Week, week_of
from storage.api_usage import ApiUsages
from storage.bindings import ACTIVE, Bindings
from storage.summary import TrendPoint, VillageLine, WeekSummary, trend, week_summary


def _rate(line: VillageLine, t: Translator) -> str:
    if not line.monitored:
        return "—"
    return format_percent(line.done / line.monitored, locale=t.locale)


def _line(label: str, line: VillageLine, t: Translator, *, ended: bool) -> str:
    """A running week counts what is still due; an ended one what was not visited (each
    only where it applies: the same households are not counted twice)."""
    template = (
        N_(
            "{label}: {monitored} monitored, {done} visited ({rate}), {due} not visited, "
            "{red} red, {watch} watch"
        )
        if ended
        else N_(
            "{label}: {monitored} monitored, {done} visited ({rate}), {due} still due, "
            "{red} red, {watch} watch"
        )
    )
    return t._(template).format(
        label=label,
        monitored=t.number(line.monitored),
        due=t.number(line.due),
        done=t.number(line.done),
        rate=_rate(line, t),
        red=t.number(line.red),
        watch=t.number(line.watch),
    )


def summary_text(
    summary: WeekSummary,
    title: str,
    t: Translator,
    *,
    in_group: bool,
    now_date: date,
    tz: tzinfo,
    village: bool,
    cadence: Cadence = Cadence.WEEKLY,
) -> str:
    lines = [t._("{title}, {week}").format(title=title, week=week_label(summary.week, t))]
    period = period_of(summary.week, cadence)
    if len(period) > 1:  # fortnightly or monthly visits: visited counts the whole period
        lines.append(period_label(period[0], period[-1], t))
    ended = period[-1].sunday < now_date
    for line in summary.villages:
        lines.append("• " + _line(line.name, line, t, ended=ended))
    if not village:
        lines.append(_line(t._("Town total"), summary.total, t, ended=ended))
    if summary.open_red:
        lines.append(t._("Open red warnings:"))
    for red in summary.open_red:
        days = (now_date - red.opened_at.astimezone(tz).date()).days
        head = mask_name(red.head_name) if in_group else red.head_name
        since = (
            N_("• {village} {number} {head}: since today, {ack}, {measures} measure(s)")
            if days == 0
            else N_("• {village} {number} {head}: open {days} day(s), {ack}, {measures} measure(s)")
        )
        lines.append(
            t._(since).format(
                village=red.village,
                number=red.number,
                head=head,
                days=t.number(days),
                ack=t._("acknowledged") if red.acknowledged else t._("not acknowledged"),
                measures=t.number(red.measures),
            )
        )
    if summary.undelivered:
        lines.append(
            t.ngettext(
                "⚠️ {n} message of this week could not be delivered (the staff were told "
                "privately of each).",
                "⚠️ {n} messages of this week could not be delivered (the staff were told "
                "privately of each).",
                summary.undelivered,
            ).format(n=t.number(summary.undelivered))
        )
    lines.extend(coverage_lines(summary, t))
    if village and summary.due_by_helper:
        lines.append(t._("Still due, by helper:"))
        for helper, households in summary.due_by_helper.items():
            listed = "、".join(f"{n} {mask_name(h) if in_group else h}" for n, h in households)
            lines.append(f"• {helper}：{listed}")
    return "\n".join(lines)


def coverage_lines(summary: WeekSummary, t: Translator) -> list[str]:
    """缺啥补啥 in counts (group-safe: numbers and unit names only): households at risk with
    a risk no delivered measure covers, and measures past their deadline per unit."""
    lines = []
    if summary.uncovered:
        lines.append(
            t.ngettext(
                "⚠️ {n} household at risk has a risk no delivered measure covers.",
                "⚠️ {n} households at risk have a risk no delivered measure covers.",
                summary.uncovered,
            ).format(n=t.number(summary.uncovered))
        )
    if summary.late_by_unit:
        lines.append(t._("Measures past their deadline:"))
        lines.extend(
            t._("• {unit}: {n}").format(unit=unit_name(unit, t), n=t.number(n))
            for unit, n in summary.late_by_unit
        )
    return lines


def trend_text(points: list[TrendPoint], title: str, t: Translator) -> str:
    lines = [t._("{title}: the last {n} weeks").format(title=title, n=t.number(len(points)))]
    for point in points:
        rate = format_percent(point.rate, locale=t.locale) if point.rate is not None else "—"
        lines.append(
            t._("• {week}: {done}/{monitored} checked in ({rate}), {red} red").format(
                week=week_label(point.week, t),
                done=t.number(point.done),
                monitored=t.number(point.monitored),
                rate=rate,
                red=t.number(point.red),
            )
        )
    return "\n".join(lines)


async def _own_group(
    services: Services, chat_id: int, township_id: int, village_id: int | None
) -> bool:
    """Whether the chat is the bound group of exactly this scope (a township's group for its
    staff, a village's group for its head): a summary names households and helpers."""

    def bound_to(session: Session) -> tuple[int, int | None] | None:
        binding = Bindings(session).of_chat(chat_id)
        if binding is None or binding.status != ACTIVE:
            return None
        return binding.township_id, binding.village_id

    return await services.tx(bound_to) == (township_id, village_id)


async def summary(turn: Turn) -> list[Reply]:
    person, t, services, event = turn.person, turn.t, turn.services, turn.event
    in_group = event.chat_kind is ChatKind.GROUP
    now = services.now()
    week = week_of(now, services.tz)
    args = event.args
    want_trend = bool(args) and args[0].lower() in ("trend", "趋势")
    if args and not want_trend:
        try:
            week = Week.parse(args[0])
        except ValueError:
            return [
                Say(
                    t._(
                        "Please give the week as YYYY-Www, e.g. /summary {week}, or /summary trend."
                    ).format(week=str(week))
                )
            ]
        if week > week_of(now, services.tz):
            return [Say(t._("{week} has not begun yet.").format(week=week_label(week, t)))]
    if person is not None and person.role is Role.HELPER:
        if in_group:  # their households' names stay out of groups
            return [Say(t._("Please send /mine in your private chat with me."))]
        return await mine(turn)
    if person is None or person.role not in (Role.TOWNSHIP_STAFF, Role.VILLAGE_HEAD):
        return [Say(t._("/summary is for township staff and village heads."))]
    village = person.role is Role.VILLAGE_HEAD
    township_id = person.township_id
    village_id = person.village_id if village else None
    if in_group and not await _own_group(services, event.chat_id, township_id, village_id):
        return [
            Say(
                t._(
                    "In a group, /summary answers only in the bound group of your own village "
                    "or township. Please send it to me privately."
                )
            )
        ]
    title = (person.village_name if village else person.township_name) or ""
    if want_trend:
        points = await services.tx(
            lambda s: trend(
                s,
                week,
                now=now,
                tz=services.tz,
                township_id=township_id,
                village_id=village_id,
                cadence=services.policy.visits,
            )
        )
        png = await asyncio.to_thread(trend_chart, points, title, t)
        return [Say(trend_text(points, title, t)), Photo(png, f"trend-{week}.png")]
    numbers = await services.tx(
        lambda s: week_summary(
            s,
            week,
            now=now,
            tz=services.tz,
            township_id=township_id,
            village_id=village_id,
            due_list=village,
            cadence=services.policy.visits,
        )
    )
    text = summary_text(
        numbers,
        title,
        t,
        in_group=in_group,
        now_date=now.astimezone(services.tz).date(),
        tz=services.tz,
        village=village,
        cadence=services.policy.visits,
    )
    choice = services.policy.choose(week.year, person.township_name)
    if not choice.exact:  # the staff are told daily as well (scheduler/policy_check.py)
        text = "\n".join([text, "", policy_gap_text(week.year, choice.lines.year, t)])
    leads = await services.tx(
        lambda s: lead_counts(
            s,
            township_id=township_id,
            village_id=village_id,
            start=week.monday,
            end=week.sunday,
            today=now.astimezone(services.tz).date(),
            days=services.policy.lead_check_days,
        )
    )
    if leads:  # counts only; in a group without the sources (a 医保局 or 残联 lead in a
        # small village says too much of a household there)
        text = "\n".join([text, "", leads_text(merged(leads) if in_group else leads, t)])
    if not village:  # the township's staff: DingTalk's monthly quota, when it is in use
        month = now.astimezone(services.tz).strftime("%Y-%m")
        used, since = await services.tx(
            lambda s: (
                ApiUsages(s).of("dingtalk", month),
                ApiUsages(s).exhausted_since("dingtalk", month),
            )
        )
        quota = [quota_text(used, t)] if used else []
        if since is not None:  # nothing goes out on DingTalk now: said where staff look
            quota.append(quota_exhausted_text(since.astimezone(services.tz), t))
        if quota:
            text = "\n".join([text, "", *quota])
    png = await asyncio.to_thread(week_chart, numbers, title, t)
    return [Say(text), Photo(png, f"summary-{week}.png")]


# DingTalk's standard plan: an organisation's internal applications may make this many metered
# API calls a month since 2025-11-19, 10,000 before (DingTalk's billing page, docs/dingtalk.md);
# warned of from WARN_SHARE on.
DINGTALK_MONTHLY_QUOTA = 5_000
WARN_SHARE = 0.8


def quota_text(used: int, t: Translator) -> str:
    line = t._(
        "DingTalk API calls this month: {used} (the standard plan allows {quota} a month)."
    ).format(used=t.number(used), quota=t.number(DINGTALK_MONTHLY_QUOTA))
    if used >= DINGTALK_MONTHLY_QUOTA * WARN_SHARE:
        line = (
            "⚠️ "
            + line
            + " "
            + t._(
                "When the quota is used up, DingTalk refuses the bot's messages until next month: "
                "ask the county to raise the organisation's plan."
            )
        )
    return line


def quota_exhausted_text(since: datetime, t: Translator) -> str:
    """DingTalk refuses the bot's messages (the organisation's monthly quota used up)."""
    return "⚠️ " + t._(
        "Since {since}, DingTalk refuses the bot's messages: the organisation's monthly API "
        "quota is used up. The messages wait and go out when the quota is raised or the month "
        "ends; ask the county to raise the organisation's plan."
    ).format(since=t.datetime(since))
