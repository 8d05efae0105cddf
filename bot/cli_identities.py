"""`fangfanpin identities` (who serves what) and `fangfanpin identities release NAME`; and the
claim `run` makes before it starts (`bot/identity.py`)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bot.identity import IdentityRefused, claim
from bot.settings import Settings
from monitoring.i18n import Translator
from storage.identities import Identities
from storage.models import OutboxMessage


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    identities = sub.add_parser(
        "identities", help="the deployment's bots and the townships each serves"
    )
    identities_sub = identities.add_subparsers(dest="identities_command")
    release = identities_sub.add_parser(
        "release", help="an identity serves nothing any more (its townships are free)"
    )
    release.add_argument("name", metavar="NAME")


def claim_or_refuse(settings: Settings, engine: Engine, t: Translator) -> bool:
    """`run`'s claim: True when this identity may start; else the reason is printed (one
    line) and False."""
    try:
        claim(settings, engine, datetime.now(UTC))
    except IdentityRefused as refused:
        print("fangfanpin: " + t._(refused.msgid).format(**refused.params), file=sys.stderr)
        return False
    return True


def run(settings: Settings, args: argparse.Namespace, t: Translator) -> int:
    from bot.cli import open_database

    engine = open_database(settings)
    try:
        with Session(engine) as session, session.begin():
            identities = Identities(session)
            if args.identities_command == "release":
                return _release(session, identities, args.name.strip().lower(), t)
            listing = identities.listing()
        if not listing:
            print(t._("No identity has started yet: the first `fangfanpin run` records its own."))
        for name, platform, handle, townships in listing:
            served = t._("every township") if townships is None else "、".join(townships)
            print(f"{name}\t{platform}\t{handle or '-'}\t{served}")
        return 0
    finally:
        engine.dispose()


def _release(session: Session, identities: Identities, name: str, t: Translator) -> int:
    if not identities.release(name):
        print(t._("There is no identity named {name}.").format(name=name), file=sys.stderr)
        return 2
    waiting = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.identity == name, OutboxMessage.status.in_(("pending", "sending")))
    )
    print(t._("Identity {name} serves no township now.").format(name=name))
    if waiting:
        print(
            t._(
                "{n} message(s) of {name} wait in the outbox: they are sent when a bot named "
                "{name} runs again."
            ).format(n=waiting, name=name)
        )
    return 0
