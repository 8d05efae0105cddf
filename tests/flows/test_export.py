"""/export on the neutral engine: told at once, the ledger afterwards, one at a time."""

from __future__ import annotations

import io

import openpyxl
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.events import ChatKind
from conversations.engine.replies import Document, Later, Say
from conversations.engine.services import Services
from conversations.reports.export import export
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF, TOWNSHIP_GROUP, A, at, green_checkin


async def test_the_ledger_comes_after_being_prepared_one_at_a_time(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: at("2026-12-02T10:00")
    green_checkin(town, "H1", at("2026-12-01T10:00"))
    told, later = await run.text(export, STAFF, "/export")
    assert isinstance(told, Say) and "正在生成龙溪镇第49周（11月30日—12月6日）台账" in told.text
    assert isinstance(later, Later)
    [again] = await run.text(export, STAFF, "/export")  # while it is being prepared
    assert isinstance(again, Say) and "正在生成中" in again.text

    [document] = await later.work()
    assert isinstance(document, Document) and document.chat_id == STAFF
    assert document.filename == "龙溪镇-2026-W49.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(document.data))
    numbers = sorted(row[2].value for row in book["农户"].iter_rows(min_row=2))
    assert numbers == ["H1", "H2", "H3", "H4"]
    assert isinstance(document.if_refused, Say) and "/start" in document.if_refused.text
    assert not services.exports_running  # a new one may start

    # Asked in a group: it goes privately, and the group hears only that.
    told, later = await run.text(
        export, HEAD, "/export", chat_id=TOWNSHIP_GROUP, kind=ChatKind.GROUP
    )
    assert isinstance(told, Say) and "私聊" in told.text and told.chat_id is None
    assert isinstance(later, Later)
    [document] = await later.work()
    assert isinstance(document, Document) and document.chat_id == HEAD

    [refused] = await run.text(export, A, "/export")
    assert isinstance(refused, Say) and "仅供乡镇干部和村干部" in refused.text
    [bad] = await run.text(export, STAFF, "/export 49")
    assert isinstance(bad, Say) and "YYYY-Www" in bad.text
