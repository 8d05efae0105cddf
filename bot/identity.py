"""The bot identity a process is (FANGFANPIN_IDENTITY) and the townships it serves
(FANGFANPIN_TOWNSHIPS): resolved for its sessions, and claimed in the database when `run`
starts. A township is served by one identity: a claim that collides with another identity's
is refused with one line, and nothing is recorded.

Why one process per identity: a SIGKILL, a crash or a revoked token stops one county's bot
only; systemd restarts each on its own; each keeps its platform's flood limits to itself
(a Telegram bot's 30 messages a second, a DingTalk app's 20 calls a second per API)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.settings import Settings
from conversations.engine.services import Services
from monitoring.i18n import N_
from monitoring.identities import Claim, collision
from storage.identities import Identities, Serving
from storage.models import Township


class IdentityRefused(Exception):
    """Why this identity can not start: a message id and its parameters (the CLI says it
    in the operator's language, on one line)."""

    def __init__(self, msgid: str, **params: str) -> None:
        super().__init__(msgid)
        self.msgid, self.params = msgid, params


def _township_ids(session: Session, names: tuple[str, ...]) -> dict[str, int]:
    found = {
        name: int(tid)
        for tid, name in session.execute(
            select(Township.id, Township.name).where(Township.name.in_(names))
        )
    }
    for name in names:
        if name not in found:
            raise IdentityRefused(
                N_(
                    "FANGFANPIN_TOWNSHIPS: there is no township named {name} (import the "
                    "roster first, or correct the name)."
                ),
                name=name,
            )
    return found


def serving_of_settings(settings: Settings, session: Session) -> Serving:
    """The identity and its township ids as the settings name them (nothing recorded)."""
    names = settings.township_names
    if not names:
        return Serving(settings.identity, None)
    return Serving(settings.identity, frozenset(_township_ids(session, names).values()))


def claim(settings: Settings, engine: Engine, now: datetime) -> Serving:
    """Record that this identity serves its townships (replacing its own earlier claim), or
    IdentityRefused when another identity serves one of them (or every one)."""
    names = settings.township_names
    with Session(engine) as session, session.begin():
        identities = Identities(session)
        identities.lock()
        ids = _township_ids(session, names) if names else None
        mine = Claim(settings.identity, frozenset(names) if names else None)
        found = collision(mine, identities.claims())
        if found is not None and found.township is not None:
            raise IdentityRefused(
                N_(
                    "Identity {me} can not serve {township}: identity {other} serves it "
                    "(`fangfanpin identities` lists who serves what)."
                ),
                me=settings.identity,
                township=found.township,
                other=found.identity,
            )
        if found is not None:
            raise IdentityRefused(
                N_(
                    "Identity {me} and identity {other} can not both serve these townships: "
                    "one of them serves every township. Give it its townships "
                    "(FANGFANPIN_TOWNSHIPS) and restart it, or release it with `fangfanpin "
                    "identities release {other}`."
                ),
                me=settings.identity,
                other=found.identity,
            )
        identities.record(
            settings.identity,
            platform=settings.platform,
            township_ids=None if ids is None else list(ids.values()),
            now=now,
        )
        return Serving(settings.identity, None if ids is None else frozenset(ids.values()))


async def record_handle(services: Services, handle: str | None) -> None:
    """How people find this bot (a Telegram bot's @username), for the answer a person of
    another identity's township gets (`conversations/people/registration.py`)."""
    if handle:
        name = services.serving.identity
        await services.tx(lambda s: Identities(s).set_handle(name, handle))
