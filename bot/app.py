"""The one factory that builds the bot; every handler is registered here, top to bottom."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Engine
from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot import adapter, commands, guard
from bot.alerts import OutboxWorker
from bot.context import AppContext, AppType, BotData
from bot.i18n import load_translations
from bot.limits import LimitedBot
from bot.priority import PriorityRateLimiter
from bot.request import AiohttpRequest
from bot.schedule import JobScheduler, start_jobs
from bot.settings import Settings
from conversations import groups, interrupt, registration
from conversations.dispatch import BUTTON_FLOWS, COMMAND_FLOWS
from conversations.engine.services import Services
from conversations.menu import GROUP, commands_for
from conversations.registry import ROUTER
from monitoring.i18n import SUPPORTED_LOCALES, Translations
from storage.db import make_engine, make_session_factory

log = logging.getLogger(__name__)

# Update types the bot asks Telegram for. Forget one and the bot never hears of it.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def build_application(
    settings: Settings,
    *,
    engine: Engine | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    clock: Callable[[], datetime] | None = None,
) -> AppType:
    """Build the Application. `engine` lets tests share one; otherwise post_init makes it.
    `clock` replaces the real clock of handlers and jobs (tests, the sandbox's clock)."""
    if settings.telegram_token is None:  # `run` without a token starts the sandbox first
        raise ValueError("build_application needs FANGFANPIN_TELEGRAM_TOKEN")
    token = settings.telegram_token.get_secret_value()
    # Every message goes through LimitedBot, which keeps Telegram's size limits.
    limited_bot = LimitedBot(
        token,
        base_url=settings.telegram_api_url,
        base_file_url=settings.file_url,
        request=request or AiohttpRequest(proxy=settings.telegram_proxy),
        get_updates_request=get_updates_request
        or AiohttpRequest(connection_pool_size=1, proxy=settings.telegram_proxy),
        rate_limiter=flood_limiter(settings.send_rate),
    )
    lifecycle = _Lifecycle(settings, engine, clock)
    builder = (
        ApplicationBuilder()
        .bot(limited_bot)
        .context_types(ContextTypes(context=AppContext, bot_data=BotData))
        # One update at a time inside PTB: bot.polling.Poller is what runs updates of
        # different chats side by side (and one chat's in order), calling process_update.
        .concurrent_updates(False)
        # Polling is done by bot.polling.Poller, which confirms updates only once handled.
        .updater(None)
        .post_init(lifecycle.post_init)
        .post_stop(lifecycle.post_stop)
        .post_shutdown(lifecycle.post_shutdown)
    )
    app: AppType = builder.build()  # type: ignore[assignment]

    # group -2: a button pressed in a chat it does not belong in is refused here.
    for handler in guard.guard_handlers():
        app.add_handler(handler, group=-2)
    # group -1: while a conversation is open (a check-in, a measure, a proposal…), another
    # command gets where it stands instead (ApplicationHandlerStop keeps it from running).
    app.add_handler(adapter.interruptions(interrupt.command_during), group=-1)
    # group 0: commands and buttons (one table for every platform: conversations/dispatch).
    app.add_handler(adapter.contacts(registration.contact))
    for name, flow in COMMAND_FLOWS:
        app.add_handler(adapter.command(name, flow))
    for prefix, flow in BUTTON_FLOWS:
        app.add_handler(adapter.buttons(prefix, flow))
    app.add_handler(adapter.memberships(groups.membership))  # added to / removed from a group
    app.add_handler(adapter.migrations(groups.migrated))  # a group became a supergroup
    # The conversations' own buttons (ci, ms, pp), taken by the router in one transaction.
    for handler in adapter.conversations(ROUTER):
        app.add_handler(handler)
    # group 1: a private message that is no command: an answer of the open conversation, or
    # "I did not understand that".
    app.add_handler(adapter.private_messages(ROUTER), group=1)
    # group 2: what nobody took: stale buttons, unknown commands, commands in the wrong chat.
    for handler in commands.fallback_handlers():
        app.add_handler(handler, group=2)
    app.add_error_handler(commands.on_error)
    return app


# The share of FANGFANPIN_SEND_RATE the bot uses, and the longest burst it allows: Telegram
# (and the stand-in) count messages in a sliding second, so a full-rate burst on top of a
# full-rate second would be refused with 429s.
SEND_RATE_SHARE = 0.95
BURST_SECONDS = 0.02


def flood_limiter(send_rate: float) -> PriorityRateLimiter:
    """Overall: `send_rate` × SEND_RATE_SHARE per second in bursts of at most
    BURST_SECONDS' worth; per group: Telegram's 20 per minute; replies and warnings before
    bulk sends (`bot/priority.py`). A 429 that still comes is waited out and retried (3
    times) before the caller sees it."""
    rate = send_rate * SEND_RATE_SHARE
    burst = max(1.0, rate * BURST_SECONDS)
    return PriorityRateLimiter(rate=rate, burst=burst, max_retries=3)


class _Lifecycle:
    """Long-lived resources: made in post_init, closed in post_shutdown."""

    def __init__(
        self, settings: Settings, engine: Engine | None, clock: Callable[[], datetime] | None
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.jobs: JobScheduler | None = None
        self.owned_engine: Engine | None = None
        self.worker: OutboxWorker | None = None
        self.executor: ThreadPoolExecutor | None = None

    async def post_init(self, app: AppType) -> None:
        engine = self.engine
        if engine is None:
            engine = self.owned_engine = make_engine(self.settings.database_url)
        translations = load_translations(self.settings.locale)
        missing = translations.missing_catalogs()
        if missing:
            log.warning("no catalog for %s: those texts stay in English", missing)
        self.executor = ThreadPoolExecutor(
            max_workers=1 if engine.dialect.name == "sqlite" else 8, thread_name_prefix="db"
        )
        app.bot_data.services = Services(
            executor=self.executor,
            session_factory=make_session_factory(engine),
            translations=translations,
            tz=self.settings.tz,
            close_after_green=self.settings.alert_close_after_green,
            policy=self.settings.policy,
            router=ROUTER,
        )
        if self.clock is not None:
            app.bot_data.services.clock = self.clock
        services = app.bot_data.services
        await set_default_commands(app, translations)
        # Deliver what is waiting in the outbox now, then continuously.
        self.worker = OutboxWorker(
            app.bot,
            services.tx,
            translations,
            services.tz,
            name="bot",
            notice_days=services.policy.notice_days,
        )
        services.wake_outbox = self.worker.wake
        self.worker.start()
        # The scheduled jobs, those owed after downtime, and the policy check at once.
        self.jobs = await start_jobs(self.settings, services, services.wake_outbox)

    async def post_stop(self, app: AppType) -> None:
        if self.jobs is not None:
            await self.jobs.stop()
            self.jobs = None
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None

    async def post_shutdown(self, app: AppType) -> None:
        pool = app.bot_data.services.export_pool if hasattr(app.bot_data, "services") else None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if self.executor is not None:
            self.executor.shutdown(wait=True)
            self.executor = None
        if self.owned_engine is not None:
            self.owned_engine.dispose()
            self.owned_engine = None


async def set_default_commands(app: AppType, translations: Translations) -> None:
    """Menus for people not yet registered and for groups, in the default and each language."""
    for locale in (None, *SUPPORTED_LOCALES):
        t = translations.get(locale)
        language = locale.split("_")[0] if locale else None
        try:
            await app.bot.set_my_commands(
                [BotCommand(c, t._(d)) for c, d in commands_for(None)],
                scope=BotCommandScopeAllPrivateChats(),
                language_code=language,
            )
            await app.bot.set_my_commands(
                [BotCommand(c, t._(d)) for c, d in GROUP],
                scope=BotCommandScopeAllGroupChats(),
                language_code=language,
            )
        except TelegramError as exc:
            log.warning("could not set the command menus: %s", exc)
            return
