"""/export [YYYY-Www]: the week's ledger as XLSX, always to the asker's private chat (a ledger
of named households does not belong in a group, even with ID numbers masked).

An export of a large township takes seconds of work; none of it may hold up the helpers:
- the asker is told at once that the ledger is being prepared, and the work goes on in the
  background (the person's other messages are handled meanwhile);
- the rows are read in short transactions, one per sheet, so the database (SQLite has one
  writer thread here) serves everyone else in between;
- the workbook is built and saved in a separate process, so it does not compete with the bot
  for the interpreter;
- one export per person at a time: asking again meanwhile gets "already being prepared".
If the bot stops while an export is being prepared, it is not resumed: ask again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from conversations.engine.events import ChatKind
from conversations.engine.replies import Document, Later, Reply, Say
from conversations.engine.services import Services
from conversations.engine.turn import Turn
from conversations.reports import ledger
from conversations.texts import week_label
from monitoring.i18n import Translations, Translator
from monitoring.people import Role
from monitoring.terms import DEFAULT_TERMS, Terms
from monitoring.weeks import Week, week_of
from storage.ledger_lines import Scope

log = logging.getLogger(__name__)


def render(
    data: ledger.LedgerData, locale: str, locales: Path, tz_key: str, terms: Terms = DEFAULT_TERMS
) -> bytes:
    """The XLSX file of `data` (runs in the export process: plain, picklable arguments)."""
    t = Translations(locales, locale, terms).get(locale)
    return ledger.to_bytes(ledger.build(data, t, ZoneInfo(tz_key)))


def export_pool(services: Services) -> Executor:
    """The process the workbooks are made in, started on first use (spawned: a fork of a
    process with threads and an event loop is not safe)."""
    if services.export_pool is None:
        services.export_pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
    return services.export_pool


def _reading(
    reader: Callable[[Session, Week, Scope, ZoneInfo], list[Any]],
    week: Week,
    scope: Scope,
    tz: ZoneInfo,
) -> Callable[[Session], list[Any]]:
    return lambda session: reader(session, week, scope, tz)


async def make_ledger(services: Services, week: Week, scope: Scope, t: Translator) -> bytes:
    rows = []
    for reader in ledger.READERS:  # one short transaction per sheet
        rows.append(await services.tx(_reading(reader, week, scope, services.tz)))
    data = ledger.LedgerData(week, *rows)
    return await asyncio.get_running_loop().run_in_executor(
        export_pool(services),
        render,
        data,
        t.locale,
        services.translations.directory,
        services.tz.key,
        services.translations.terms,
    )


async def export(turn: Turn) -> list[Reply]:
    person, t, services, event = turn.person, turn.t, turn.services, turn.event
    now = services.now()
    week = week_of(now, services.tz)
    if person is None or person.role not in (Role.TOWNSHIP_STAFF, Role.VILLAGE_HEAD):
        return [Say(t._("/export is for township staff and village heads."))]
    if event.args:
        try:
            week = Week.parse(event.args[0])
        except ValueError:
            return [
                Say(
                    t._("Please give the week as YYYY-Www, e.g. /export {week}.").format(
                        week=str(week)
                    )
                )
            ]
        if week > week_of(now, services.tz):
            return [Say(t._("{week} has not begun yet.").format(week=week_label(week, t)))]
    if person.id in services.exports_running:
        return [Say(t._("Your ledger is already being prepared; it will come in a moment."))]
    village = person.role is Role.VILLAGE_HEAD
    title = (person.village_name if village else person.township_name) or ""
    if event.chat_kind is ChatKind.PRIVATE:
        said = t._("Preparing the ledger of {title}, {week}: it will come here in a moment.")
    else:
        said = t._("Preparing the ledger: I will send it to you in our private chat.")
    services.exports_running.add(person.id)
    scope = Scope(person.township_id, person.village_id if village else None)
    assert event.user_id is not None

    own = turn.own  # the ledger goes to the person's private chat, in their language

    async def prepare() -> list[Reply]:
        try:
            data = await make_ledger(services, week, scope, own)
        except Exception:
            log.exception("export of week %s for person %s failed", week, person.id)
            return [Say(t._("Sorry, the ledger could not be prepared. Please try again later."))]
        finally:
            services.exports_running.discard(person.id)
        caption = own._("Ledger of {title}, {week}").format(title=title, week=week_label(week, own))
        return [
            Document(
                data,
                ledger.filename(title, week),
                caption,
                chat_id=event.user_id,  # always privately
                if_refused=Say(
                    t._(
                        "I can not write to you privately: please open a chat with me and "
                        "send /start."
                    )
                ),
            )
        ]

    return [Say(said.format(title=title, week=week_label(week, t))), Later(prepare)]
