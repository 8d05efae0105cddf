"""The core every platform plugs into, built once: the services (database, catalogs, clock,
policy, the conversations' router), the outbox drain over the platform's `Transport`, and the
scheduled jobs. A platform runs its own connection inside `running_core`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.i18n import load_translations
from bot.identity import serving_of_settings
from bot.outbox import OutboxDrain
from bot.schedule import JobScheduler, start_jobs
from bot.settings import Settings
from bot.transport import Transport
from conversations.engine.services import Services
from conversations.registry import ROUTER
from storage.db import SERVER_THREADS, make_session_factory

log = logging.getLogger(__name__)


@dataclass
class Core:
    services: Services
    outbox: OutboxDrain
    jobs: JobScheduler


def build_services(
    settings: Settings, engine: Engine, clock: Callable[[], datetime] | None = None
) -> Services:
    """The long-lived services of a running bot; `clock` replaces the real clock (tests,
    the sandbox's clock control). Close with `close_services`."""
    translations = load_translations(settings.locale, settings.policy.terms)
    with Session(engine) as session:
        serving = serving_of_settings(settings, session)  # IdentityRefused: a name unknown
    missing = translations.missing_catalogs()
    if missing:
        log.warning("no catalog for %s: those texts stay in English", missing)
    services = Services(
        # SQLite has one writer: one thread for it; several for a server.
        executor=ThreadPoolExecutor(
            max_workers=1 if engine.dialect.name == "sqlite" else SERVER_THREADS,
            thread_name_prefix="db",
        ),
        session_factory=make_session_factory(engine, serving.info()),
        translations=translations,
        tz=settings.tz,
        close_after_green=settings.alert_close_after_green,
        policy=settings.policy,
        router=ROUTER,
        serving=serving,
    )
    if clock is not None:
        services.clock = clock
    return services


def close_services(services: Services) -> None:
    if services.export_pool is not None:
        services.export_pool.shutdown(wait=False, cancel_futures=True)
    if isinstance(services.executor, ThreadPoolExecutor):
        services.executor.shutdown(wait=True)


@asynccontextmanager
async def running_core(
    settings: Settings, services: Services, transport: Transport
) -> AsyncIterator[Core]:
    """The outbox drained over `transport` (what is waiting now, then continuously) and the
    scheduled jobs (with those owed after downtime, and the policy check at once), until the
    block ends."""
    outbox = OutboxDrain(
        transport,
        services.tx,
        services.translations,
        services.tz,
        # the real clock, not the handlers' (which tests and the sandbox may stop): retries
        # and claims are about the network
        name="bot",
        notice_days=services.policy.notice_days,
        supervision_phone=services.policy.supervision_phone,
        identity=services.serving.identity,
    )
    services.wake_outbox = outbox.wake
    outbox.start()
    jobs = await start_jobs(settings, services, outbox.wake)
    try:
        yield Core(services, outbox, jobs)
    finally:
        await jobs.stop()
        await outbox.stop()
