"""`fangfanpin jobs run NAME [--at …]`: one scheduled job now, for the townships of
FANGFANPIN_IDENTITY (FANGFANPIN_TOWNSHIPS; none set: every township, as before identities),
and what it queued for that identity's bot sent at once when its credentials are set (rows
of other identities' chats are sent by their own bots)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.i18n import load_translations
from bot.identity import IdentityRefused, serving_of_settings
from bot.settings import Settings
from monitoring.i18n import Translator
from storage.db import make_session_factory


class _CliSender:
    """From the command line: send the outbox's due rows once, over the configured platform
    (if its credentials are set; else the running bot sends them)."""

    def __init__(self, settings: Settings, services: Any, t: Translator) -> None:
        self.settings, self.services, self.t = settings, services, t
        self.sent = 0

    async def flush(self) -> int:
        from bot.outbox import OutboxDrain
        from bot.plugins import plugin

        async with plugin(self.settings.platform).transport(self.settings) as transport:
            if transport is None:
                print(
                    self.t._(
                        "No bot token configured: the queued messages will be sent by the "
                        "running bot."
                    )
                )
                return 0
            drain = OutboxDrain(
                transport,
                self.services.tx,
                self.services.translations,
                self.services.tz,
                notice_days=self.services.policy.notice_days,
                supervision_phone=self.services.policy.supervision_phone,
                identity=self.services.serving.identity,  # this identity's rows only
            )
            self.sent = await drain.drain()
        return self.sent


async def run_job(settings: Settings, name: str, at: datetime | None, t: Translator) -> int:
    from bot.cli import open_database
    from bot.schedule import job_specs
    from conversations.engine.services import Services

    now = at or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=settings.tz)
    engine = open_database(settings)
    try:
        with Session(engine) as session:
            try:  # FANGFANPIN_IDENTITY's townships; none set: every township
                serving = serving_of_settings(settings, session)
            except IdentityRefused as refused:
                print("fangfanpin: " + t._(refused.msgid).format(**refused.params), file=sys.stderr)
                return 2
        services = Services(
            session_factory=make_session_factory(engine, serving.info()),
            translations=load_translations(settings.locale, settings.policy.terms),
            tz=settings.tz,
            policy=settings.policy,
            serving=serving,
        )
        sender = _CliSender(settings, services, t)
        queued = await job_specs(settings)[name].run(now, services.tx, sender)
        print(
            t._("{job} at {at}: {queued} message(s) queued, {sent} sent.").format(
                job=name, at=now.isoformat(), queued=queued, sent=sender.sent
            )
        )
        return 0
    finally:
        engine.dispose()
