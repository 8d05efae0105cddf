"""DingTalk's string ids and their integers (`storage/platform_ids.py`), kept in memory once
known: an integer never changes, so a person's second press costs no look-up. And the cards
the bot sent: whom each was delivered to and which buttons it shows (recorded in the database
when it is sent, `PlatformIds.card`), so that a press is taken in the card's own chat and only
for its own buttons, whatever the callback says; and the text each shows, as far as this
process knows it."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from conversations.engine.services import Services
from storage.platform_ids import Card, Kind, PlatformIds

KEEP = 50_000  # ids remembered (people, groups, cards)
KEEP_CARDS = 10_000  # cards whose owner, buttons and text are remembered


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
                self.keep(key, number)
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
                self.keep(found, number)
        return found

    def keep(self, key: tuple[Kind, str], number: int) -> None:
        self.known[key] = number
        self.back[number] = key
        while len(self.known) > KEEP:
            _, gone = self.known.popitem(last=False)
            self.back.pop(gone, None)


# How long a press on one of our cards not recorded yet waits for the outbox to record it.
RECORDING_PAUSES = (0.1, 0.2, 0.3, 0.4, 0.5, 0)
OUR_CARDS = "ffp-"  # the out-track ids this bot gives its cards (platforms/dingtalk/outbound.py)


class Cards:
    """The cards this bot sent, as recorded, and the text each shows now (None: not known
    to this process, e.g. after a restart)."""

    def __init__(self, services: Services, ids: IdCache) -> None:
        self.services, self.ids = services, ids
        self.recorded: OrderedDict[str, Card] = OrderedDict()
        self.texts: dict[int, str] = {}

    async def get(self, track: str) -> Card | None:
        """The card `track` (its out-track id) as recorded; None for a card the bot did not
        send, or sent before owners were recorded (migration 0018). A card of ours not
        recorded yet is waited for a moment: the outbox records a card in the transaction
        after DingTalk took it, and a quick press can come first."""
        card = self.recorded.get(track)
        if card is None:
            for pause in RECORDING_PAUSES:
                card = await self.services.tx(lambda s: PlatformIds(s).card_of(track))
                if card is not None or not track.startswith(OUR_CARDS):
                    break
                await asyncio.sleep(pause)
            if card is None:
                return None
            self._keep(card)
        self.recorded.move_to_end(track)
        return card

    async def sent(self, track: str, chat_id: int, buttons: Iterable[str], text: str) -> int:
        """A card just delivered to `chat_id`: recorded with its buttons' prefixes; its
        integer."""
        prefixes = frozenset(buttons)
        now = self.services.now()
        number: int = await self.services.tx(
            lambda s: PlatformIds(s).card(track, chat_id=chat_id, buttons=prefixes, now=now)
        )
        self.ids.keep((Kind.MESSAGE, track), number)
        self._keep(Card(number, track, chat_id, prefixes), text)
        return number

    async def shown(self, card: Card, text: str, buttons: Iterable[str]) -> Card:
        """`card` now shows `text` with buttons of the prefixes `buttons`. The record keeps
        every prefix the card has shown (written only when one is new): the new data may
        not reach the card (the bot stopped before DingTalk had it), and a press of what it
        still shows must reach its conversation, which answers where it stands."""
        prefixes = card.buttons | frozenset(buttons)
        if prefixes != card.buttons:
            await self.services.tx(lambda s: PlatformIds(s).set_buttons(card.number, prefixes))
            card = Card(card.number, card.external_id, card.chat_id, prefixes)
        self._keep(card, text)
        return card

    def text(self, number: int) -> str | None:
        return self.texts.get(number)

    def _keep(self, card: Card, text: str | None = None) -> None:
        self.recorded[card.external_id] = card
        self.recorded.move_to_end(card.external_id)
        if text is not None:
            self.texts[card.number] = text
        while len(self.recorded) > KEEP_CARDS:
            _, gone = self.recorded.popitem(last=False)
            self.texts.pop(gone.number, None)
