"""`fangfanpin sandbox` (and `make run` without a token): the Bot API stand-in with its page,
the sample roster in a database of its own, and the real bot against them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import EXAMPLES, open_database, run_bot
from bot.i18n import load_translations
from bot.settings import Settings
from storage.db import make_session_factory
from storage.roster import import_roster


def run_sandbox(settings: Settings, *, port: int) -> int:
    """The stand-in on 127.0.0.1:port with its page, the sample roster in a separate database
    (never the real one), two groups already bound, and the real bot against it all."""
    from sandbox.page import PageGroup, SandboxPage, people_from_roster
    from sandbox.thread import SandboxThread

    groups = [PageGroup(-1001001, "青山村防返贫群"), PageGroup(-1001002, "龙溪镇防返贫工作群")]
    sandbox_settings = prepare_database(settings, [(g.chat_id, g.title) for g in groups])
    thread = SandboxThread(port=port)
    api = thread.api
    for group in groups:
        api.add_group(group.chat_id, group.title)
    page = SandboxPage(
        people_from_roster(EXAMPLES / "staff.csv"),
        groups,
        job_env={},
        translations=load_translations(settings.locale, settings.policy.terms),
        tz=settings.tz,
        events=lambda: api.state.events,
    )
    api.extra_routes.extend(page.routes())
    try:
        thread.start()
    except OSError as exc:
        return cannot_listen(port, exc)
    page.job_env = {  # known once listening (the port may have been 0)
        "FANGFANPIN_DATABASE_URL": sandbox_settings.database_url,
        "FANGFANPIN_TELEGRAM_TOKEN": api.state.token,
        "FANGFANPIN_TELEGRAM_API_URL": api.url,
        "FANGFANPIN_TELEGRAM_FILE_URL": api.file_url,
    }
    try:
        print(f"Sandbox page: {api.root}/  (open it in a browser)", flush=True)
        print(f"Sandbox Bot API: {api.url}", flush=True)
        sandbox_settings = sandbox_settings.model_copy(
            update={
                "telegram_api_url": api.url,
                "telegram_file_url": api.file_url,
                "telegram_token": SecretStr(api.state.token),
            }
        )
        return run_bot(sandbox_settings)
    finally:
        thread.stop()


def cannot_listen(port: int, exc: OSError) -> int:
    print(
        f"fangfanpin: can not listen on 127.0.0.1:{port} ({exc}); set "
        "FANGFANPIN_SANDBOX_PORT or --port",
        file=sys.stderr,
    )
    return 2


def prepare_database(
    settings: Settings,
    groups: list[tuple[int, str]],
    chat_of: Callable[[Session, int], int] = lambda _session, chat_id: chat_id,
) -> Settings:
    """A fresh sandbox database (never the real one) with the sample roster, and the groups
    (chat id, title) bound: the first to 青山村, the second to the township (`chat_of`: the
    platform's chat id of a page group). Returns the settings pointing at it."""
    from storage.bindings import Bindings
    from storage.models import Person, Village

    data = Path("data")
    data.mkdir(exist_ok=True)
    db_path = (data / "sandbox.db").resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    # SQLite: one process (FANGFANPIN_WORKERS is for PostgreSQL; model_copy does not check).
    sandbox_settings = settings.model_copy(
        update={"database_url": f"sqlite:///{db_path}", "workers": 1}
    )
    engine = open_database(sandbox_settings)
    session_factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with session_factory() as session, session.begin():
        import_roster(session, sorted(EXAMPLES.glob("*.csv")), now=now, actor="sandbox")
        staff = session.scalars(
            select(Person).where(Person.role == "township_staff").order_by(Person.id)
        ).first()
        village = session.scalars(select(Village).where(Village.name == "青山村")).first()
        assert staff is not None and village is not None
        bindings = Bindings(session)
        for (chat_id, title), village_id in zip(groups, (village.id, None), strict=True):
            bindings.bind(
                chat_id=chat_of(session, chat_id),
                title=title,
                township_id=staff.township_id,
                village_id=village_id,
                by=staff,
                now=now,
            )
    engine.dispose()
    return sandbox_settings


def run_dingtalk_sandbox(settings: Settings, *, port: int) -> int:
    """The same page over the DingTalk stand-in (`fangfanpin sandbox --platform dingtalk`):
    the DingTalk bot (`platforms/dingtalk/run.py`) against it, people found by their mobile numbers,
    buttons as cards."""
    import asyncio

    from bot.plugins import plugin
    from sandbox.dingtalk.page_bridge import PageBridge, group_of
    from sandbox.dingtalk.thread import DingTalkThread
    from sandbox.page import PageGroup, SandboxPage, people_from_roster
    from storage.platform_ids import Kind, PlatformIds

    groups = [PageGroup(-1001001, "青山村防返贫群"), PageGroup(-1001002, "龙溪镇防返贫工作群")]
    now = datetime.now(UTC)
    sandbox_settings = prepare_database(
        settings,
        [(g.chat_id, g.title) for g in groups],
        lambda session, chat_id: PlatformIds(session).number(
            Kind.GROUP, group_of(chat_id), now=now
        ),
    )
    thread = DingTalkThread(port=port)
    standin = thread.standin
    people = people_from_roster(EXAMPLES / "staff.csv")
    bridge = PageBridge(standin, people, groups)
    page = SandboxPage(
        people,
        groups,
        job_env={"FANGFANPIN_DATABASE_URL": sandbox_settings.database_url},
        translations=load_translations(settings.locale, settings.policy.terms),
        tz=settings.tz,
        events=lambda: [{"kind": "message"}] * len(standin.state.sent),
        platform="dingtalk",
    )
    standin.extra_routes.extend([*page.routes(), *bridge.routes()])
    try:
        url = thread.start()
    except OSError as exc:
        return cannot_listen(port, exc)
    try:
        print(f"Sandbox page: {url}/  (open it in a browser)", flush=True)
        print(f"Sandbox DingTalk API: {url}", flush=True)
        sandbox_settings = sandbox_settings.model_copy(update={"platform": "dingtalk"})
        engine = open_database(sandbox_settings)
        own = {  # DingTalk's own settings (platforms/dingtalk/settings.py), for the stand-in
            "client_id": standin.state.client_id,  # made for this run
            "client_secret": SecretStr(standin.state.client_secret),
            "card_template": "fangfanpin.buttons",
            "api_url": url,
            "oapi_url": url,
        }
        try:
            return asyncio.run(plugin("dingtalk").serve(sandbox_settings, engine, **own))
        finally:
            engine.dispose()
    finally:
        thread.stop()
