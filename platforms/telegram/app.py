"""The one factory that builds the Telegram bot: python-telegram-bot's Application with one entry
handler feeding the core's dispatch, and the core started in post_init."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.core import build_services, close_services, running_core
from bot.identity import record_handle
from bot.schedule import JobScheduler
from bot.settings import Settings
from conversations.people.menu import GROUP, commands_for
from monitoring.i18n import SUPPORTED_LOCALES, Translations
from platforms.telegram import adapter, errors
from platforms.telegram.context import AppContext, AppType, BotData
from platforms.telegram.limits import LimitedBot
from platforms.telegram.priority import PriorityRateLimiter
from platforms.telegram.request import AiohttpRequest
from platforms.telegram.transport import TelegramTransport
from storage.db import make_engine

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
    worker_wake: Callable[[], None] | None = None,
) -> AppType:
    """Build the Application. `engine` lets tests share one; otherwise post_init makes it.
    `clock` replaces the real clock of handlers and jobs (tests, the sandbox's clock).
    `worker_wake`: the Application of a worker process (`platforms/telegram/worker.py`),
    without the outbox and the jobs; it calls this when it queued messages for the outbox."""
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
        rate_limiter=flood_limiter(
            settings.send_rate / sending_processes(settings),
            group_share(settings, worker=worker_wake is not None),
        ),
    )
    lifecycle = _Lifecycle(settings, engine, clock, worker_wake)
    builder = (
        ApplicationBuilder()
        .bot(limited_bot)
        .context_types(ContextTypes(context=AppContext, bot_data=BotData))
        # One update at a time inside PTB: platforms.telegram.polling.Poller is what runs updates of
        # different chats side by side (and one chat's in order), calling process_update.
        .concurrent_updates(False)
        # Polling is done by platforms.telegram.polling.Poller, which confirms updates only
        # once handled.
        .updater(None)
        .post_init(lifecycle.post_init)
        .post_stop(lifecycle.post_stop)
        .post_shutdown(lifecycle.post_shutdown)
    )
    app: AppType = builder.build()  # type: ignore[assignment]

    # One entry for every update: the core's one dispatch decides (conversations/dispatch.py,
    # the same for every platform); errors are logged and the sender told once.
    app.add_handler(adapter.entry())
    app.add_error_handler(errors.on_error)
    return app


# The share of FANGFANPIN_SEND_RATE the bot uses, and the longest burst it allows: Telegram
# (and the stand-in) count messages in a sliding second, so a full-rate burst on top of a
# full-rate second would be refused with 429s.
SEND_RATE_SHARE = 0.95
BURST_SECONDS = 0.02


def sending_processes(settings: Settings) -> int:
    """The processes that send for this identity, each under its share of the send rate: the
    bot's own, and its workers (FANGFANPIN_WORKERS above 1)."""
    return 1 if settings.workers == 1 else settings.workers + 1


GROUP_RATE = 20  # Telegram's messages a minute to one group


def group_share(settings: Settings, *, worker: bool) -> float:
    """This process's share of a group's 20 messages a minute. With workers any of them may
    write to a group (an answer there, a warning's copies brought up to date after a press)
    as well as the bot's own process (the outbox: the warnings), so the limit is split: half
    for the bot's process, the other half among the workers."""
    if settings.workers == 1:
        return GROUP_RATE
    return GROUP_RATE / 2 / settings.workers if worker else GROUP_RATE / 2


def flood_limiter(send_rate: float, group_rate: float = GROUP_RATE) -> PriorityRateLimiter:
    """Overall: `send_rate` × SEND_RATE_SHARE per second in bursts of at most
    BURST_SECONDS' worth; per group: `group_rate` a minute (Telegram's 20 for a bot without
    workers); replies and warnings before bulk sends (`platforms/telegram/priority.py`). A
    429 that still comes is waited out and retried (3 times) before the caller sees it."""
    rate = send_rate * SEND_RATE_SHARE
    burst = max(1.0, rate * BURST_SECONDS)
    return PriorityRateLimiter(rate=rate, burst=burst, group_rate=group_rate, max_retries=3)


class _Lifecycle:
    """Long-lived resources: the core (services, outbox drain, jobs) made in post_init,
    stopped in post_stop, closed in post_shutdown."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine | None,
        clock: Callable[[], datetime] | None,
        worker_wake: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.worker_wake = worker_wake
        self.owned_engine: Engine | None = None
        self.core: contextlib.AsyncExitStack | None = None
        self.jobs: JobScheduler | None = None  # the running core's (tests wait on its catch-up)

    async def post_init(self, app: AppType) -> None:
        engine = self.engine
        if engine is None:
            engine = self.owned_engine = make_engine(self.settings.database_url)
        services = app.bot_data.services = build_services(self.settings, engine, self.clock)
        if self.worker_wake is not None:  # a worker: the polling process drains the outbox
            services.wake_outbox = self.worker_wake
            return
        await record_handle(services, f"@{app.bot.username}" if app.bot.username else None)
        await set_default_commands(app, services.translations)
        self.core = contextlib.AsyncExitStack()
        core = await self.core.enter_async_context(
            running_core(self.settings, services, TelegramTransport(app.bot))
        )
        self.jobs = core.jobs

    async def post_stop(self, app: AppType) -> None:
        if self.core is not None:
            await self.core.aclose()
            self.core, self.jobs = None, None

    async def post_shutdown(self, app: AppType) -> None:
        if hasattr(app.bot_data, "services"):
            close_services(app.bot_data.services)
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
