"""DingTalk's string ids and their integers (`storage/platform_ids.py`), kept in memory once
known: an integer never changes, so a person's second press costs no look-up."""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy.orm import Session

from conversations.engine.services import Services
from storage.platform_ids import Kind, PlatformIds

KEEP = 50_000  # ids remembered (people, groups, cards)


class IdCache:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.known: OrderedDict[tuple[Kind, str], int] = OrderedDict()
        self.back: dict[int, tuple[Kind, str]] = {}

    async def numbers(self, wanted: list[tuple[Kind, str]]) -> dict[tuple[Kind, str], int]:
        """The integers of `wanted`, in one transaction for those not known yet (none when
        all are)."""
        missing = [key for key in wanted if key not in self.known]
        if missing:
            now = self.services.now()

            def look_up(session: Session) -> dict[tuple[Kind, str], int]:
                ids = PlatformIds(session)
                return {key: ids.number(key[0], key[1], now=now) for key in missing}

            for key, number in (await self.services.tx(look_up)).items():
                self._keep(key, number)
        found = {}
        for key in wanted:
            found[key] = self.known[key]
            self.known.move_to_end(key)
        return found

    async def number(self, kind: Kind, external: str) -> int:
        return (await self.numbers([(kind, external)]))[(kind, external)]

    async def external(self, number: int) -> tuple[Kind, str] | None:
        """What an integer stands for (a chat, a card), looked up once."""
        found = self.back.get(number)
        if found is None:
            found = await self.services.tx(lambda s: PlatformIds(s).external(number))
            if found is not None:
                self._keep(found, number)
        return found

    def _keep(self, key: tuple[Kind, str], number: int) -> None:
        self.known[key] = number
        self.back[number] = key
        while len(self.known) > KEEP:
            _, gone = self.known.popitem(last=False)
            self.back.pop(gone, None)
