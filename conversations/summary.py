"""/summary [YYYY-Www]: the week in numbers, for township staff (the town) and village heads
(their village); helpers get their own households (as /mine); anyone else is refused."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from conversations.base import AppContext, PersonView, identify, translator
from conversations.checkin import mine_command
from monitoring.i18n import Translator
from monitoring.people import Role, mask_name
from monitoring.weeks import Week, week_of
from storage.summary import VillageLine, WeekSummary, week_summary


def _rate(line: VillageLine, t: Translator) -> str:
    if not line.monitored:
        return "—"
    return format_percent(line.done / line.monitored, locale=t.locale)


def _line(label: str, line: VillageLine, t: Translator) -> str:
    return t._(
        "{label}: {monitored} monitored, {due} due, {done} done ({rate}), {missed} "
        "missed, {red} red, {watch} watch"
    ).format(
        label=label,
        monitored=t.number(line.monitored),
        due=t.number(line.due),
        done=t.number(line.done),
        rate=_rate(line, t),
        missed=t.number(line.missed),
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
    tz: ZoneInfo,
    village: bool,
) -> str:
    lines = [t._("{title}, week {week}").format(title=title, week=str(summary.week))]
    for line in summary.villages:
        lines.append("• " + _line(line.name, line, t))
    if not village:
        lines.append(_line(t._("Town total"), summary.total, t))
    if summary.open_red:
        lines.append(t._("Open red warnings:"))
    for red in summary.open_red:
        days = (now_date - red.opened_at.astimezone(tz).date()).days
        head = mask_name(red.head_name) if in_group else red.head_name
        lines.append(
            t._(
                "• {village} {number} {head}: open {days} day(s), {ack}, {measures} measure(s)"
            ).format(
                village=red.village,
                number=red.number,
                head=head,
                days=t.number(days),
                ack=t._("acknowledged") if red.acknowledged else t._("not acknowledged"),
                measures=t.number(red.measures),
            )
        )
    if village and summary.due_by_helper:
        lines.append(t._("Still due, by helper:"))
        for helper, households in summary.due_by_helper.items():
            listed = "、".join(f"{n} {mask_name(h) if in_group else h}" for n, h in households)
            lines.append(f"• {helper}：{listed}")
    return "\n".join(lines)


async def summary_command(update: Update, context: AppContext) -> None:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    now = context.services.now()
    week = week_of(now, context.services.tz)
    if context.args:
        try:
            week = Week.parse(context.args[0])
        except ValueError:
            await message.reply_text(
                t._("Please give the week as YYYY-Www, e.g. /summary {week}.").format(
                    week=str(week)
                )
            )
            return
    if person is not None and person.role is Role.HELPER:
        await mine_command(update, context)
        return
    if person is None or person.role not in (Role.TOWNSHIP_STAFF, Role.VILLAGE_HEAD):
        await message.reply_text(t._("/summary is for township staff and village heads."))
        return
    village = person.role is Role.VILLAGE_HEAD
    summary = await context.services.tx(lambda s: _load(s, person, week, village))
    title = person.village_name if village and person.village_name else person.township_name
    await message.reply_text(
        summary_text(
            summary,
            title or "",
            t,
            in_group=chat.type != "private",
            now_date=now.astimezone(context.services.tz).date(),
            tz=context.services.tz,
            village=village,
        )
    )


def _load(session: Session, person: PersonView, week: Week, village: bool) -> WeekSummary:
    return week_summary(
        session,
        week,
        township_id=person.township_id,
        village_id=person.village_id if village else None,
    )


def handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [CommandHandler("summary", summary_command)]
