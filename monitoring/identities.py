"""Bot identities: a deployment's bots (a Telegram token, a DingTalk app), each serving listed
townships, all on one database. Pure rules: what an identity's name may be, how the townships
are listed, and whether a claim collides with another identity's. A township is served by
exactly one identity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT = "default"  # the one identity of a deployment that names none (today's single bot)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,19}")  # short: it is part of every outbox claim


class IdentityNameError(ValueError):
    pass


def identity_name(text: str) -> str:
    """The identity's name as given (lower case); IdentityNameError if it is not one."""
    name = text.strip().lower()
    if not NAME.fullmatch(name):
        raise IdentityNameError(
            "an identity's name is 1 to 20 letters a-z, digits, '-' or '_', "
            "starting with a letter or digit (e.g. county-a)"
        )
    return name


def township_names(text: str) -> tuple[str, ...]:
    """The townships of FANGFANPIN_TOWNSHIPS: separated by commas (also the full-width ，
    and 、), blanks around them dropped, each once, in the order given. Empty: every one."""
    names: list[str] = []
    for part in re.split(r"[,，、]", text):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Claim:
    """What an identity serves: township names, or None for every township."""

    identity: str
    townships: frozenset[str] | None


@dataclass(frozen=True)
class Collision:
    """`identity` serves already what a claim asks for: `township`, or every township (None:
    one of the two claims every township)."""

    identity: str
    township: str | None


def collision(mine: Claim, others: Iterable[Claim]) -> Collision | None:
    """The first other identity that serves a township `mine` claims, or None. An identity
    serving every township leaves none to anybody else; the same name never collides with
    itself (a restart may change its own list)."""
    for other in sorted(others, key=lambda c: c.identity):
        if other.identity == mine.identity:
            continue
        if other.townships is None or mine.townships is None:
            return Collision(other.identity, None)
        common = sorted(mine.townships & other.townships)
        if common:
            return Collision(other.identity, common[0])
    return None
