"""Groups: /bind makes a group the township's group or a village's group; the bot notices
being added or removed and a group's upgrade to a supergroup."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from conversations.engine.callbacks import Action
from conversations.engine.events import ChatKind
from conversations.engine.replies import Button, Edit, Reply, Say, Toast
from conversations.engine.services import PersonView
from conversations.engine.turn import Turn
from conversations.outbox.notices import tell_staff_group_lost
from monitoring.i18n import Translator
from monitoring.people import Role
from monitoring.shapes import mask_private
from storage.bindings import ACTIVE, BROKEN, ENDED, Bindings
from storage.models import Person
from storage.platform_ids import actor_of_account
from storage.repositories import Places

log = logging.getLogger(__name__)

BIND_TOWNSHIP = Action("gb", "t")
BIND_VILLAGE = Action("gb", "v", "village")


def _is_staff(person: PersonView | None) -> bool:
    return person is not None and person.role is Role.TOWNSHIP_STAFF


def _bound_elsewhere(session: Session, chat_id: int, township_id: int) -> str | None:
    """What the group is bound to, if that belongs to another township."""
    bindings = Bindings(session)
    binding = bindings.of_chat(chat_id)
    if binding is None or binding.status != ACTIVE or binding.township_id == township_id:
        return None
    return bindings.describe(binding)


def _not_yours(target: str, t: Translator) -> str:
    return t._(
        "This group is the group of {target}: only that township's staff can change it."
    ).format(target=target)


async def bind(turn: Turn) -> list[Reply]:
    person, t, services, chat_id = turn.person, turn.t, turn.services, turn.event.chat_id
    if person is None or not _is_staff(person):
        return [Say(t._("Only township staff can bind a group."))]
    other = await services.tx(lambda s: _bound_elsewhere(s, chat_id, person.township_id))
    if other is not None:
        return [Say(_not_yours(other, t))]
    villages = await services.tx(
        lambda s: [(v.id, v.name) for v in Places(s).villages_of(person.township_id)]
    )
    township = Button(
        t._("Township group ({township})").format(township=person.township_name),
        BIND_TOWNSHIP.data(),
    )
    buttons = [Button(name, BIND_VILLAGE.data(village=vid)) for vid, name in villages]
    rows = ((township,), *(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3)))
    return [Say(t._("Whose group is this? Red warnings for it will be posted here."), rows)]


async def bind_pressed(turn: Turn) -> list[Reply]:
    person, t, services, event = turn.person, turn.t, turn.services, turn.event
    village = BIND_VILLAGE.read(event.button)
    township = BIND_TOWNSHIP.read(event.button)
    if person is None or not _is_staff(person) or (village is None and township is None):
        return [Toast(t._("Only township staff can bind a group."))]
    village_id = int(village["village"]) if village else None
    now = services.now()

    def do_bind(session: Session) -> str | None:
        if village_id is not None and not any(
            v.id == village_id for v in Places(session).villages_of(person.township_id)
        ):
            return None
        if _bound_elsewhere(session, event.chat_id, person.township_id) is not None:
            return None
        by = session.get(Person, person.id)
        assert by is not None
        binding = Bindings(session).bind(
            chat_id=event.chat_id,
            title=event.chat_title,
            township_id=person.township_id,
            village_id=village_id,
            by=by,
            now=now,
        )
        return Bindings(session).describe(binding)

    target = await services.tx(do_bind)
    if target is None:
        return [Toast(t._("This button is no longer valid."))]
    text = (
        t._(
            "This group is now the township group of {township}. Red warnings of all "
            "villages come here."
        ).format(township=person.township_name)
        if village_id is None
        else t._("This group is now the group of {target}. Its red warnings come here.").format(
            target=target
        )
    )
    return [Edit(text)]


async def unbind(turn: Turn) -> list[Reply]:
    person, t, services, chat_id = turn.person, turn.t, turn.services, turn.event.chat_id
    if person is None or not _is_staff(person):
        return [Say(t._("Only township staff can unbind a group."))]
    now = services.now()

    def do_unbind(session: Session) -> tuple[str, str] | None:
        bindings = Bindings(session)
        binding = bindings.of_chat(chat_id)
        if binding is None:
            return None
        other = _bound_elsewhere(session, chat_id, person.township_id)
        if other is not None:
            return "not yours", other
        bindings.end(binding, status=ENDED, now=now, actor=f"person:{person.id}")
        return "ended", bindings.describe(binding)

    outcome = await services.tx(do_unbind)
    if outcome is None:
        return [Say(t._("This group is not bound."))]
    what, target = outcome
    if what == "not yours":
        return [Say(_not_yours(target, t))]
    return [Say(t._("This group is no longer the group of {target}.").format(target=target))]


async def membership(turn: Turn) -> list[Reply]:
    """The bot was added to a group, or removed from it."""
    event, services, adder, t = turn.event, turn.services, turn.person, turn.t
    if event.chat_kind is ChatKind.PRIVATE:  # a person blocked or unblocked the bot
        return []
    now = services.now()
    if event.bot_joined:
        log.info("added to group %s by user %s", event.chat_id, event.user_id)
        replies: list[Reply] = []
        if _is_staff(adder) and event.user_id is not None:
            replies.append(
                Say(  # privately, in the person's own language
                    turn.own._(
                        "You added me to the group “{title}”. Send /bind in that group to make "
                        "it the township group or a village's group."
                    ).format(title=mask_private(event.chat_title or "?")[0]),
                    chat_id=event.user_id,
                    best_effort=True,
                )
            )
        replies.append(
            Say(
                t._(
                    "Hello! I post red warnings of poverty-relapse monitoring. Township staff: "
                    "send /bind here to choose whose group this is."
                )
            )
        )
        return replies
    if event.bot_left:
        log.warning("removed from group %s by user %s", event.chat_id, event.user_id)

        def lost(session: Session) -> None:
            bindings = Bindings(session)
            binding = bindings.of_chat(event.chat_id)
            if binding is None or binding.status != ACTIVE:
                return
            actor = actor_of_account(session, event.user_id) if event.user_id else "platform"
            bindings.end(binding, status=BROKEN, now=now, actor=actor)
            tell_staff_group_lost(
                session,
                binding.township_id,
                binding.id,
                bindings.describe(binding),
                event.chat_title,
                now,
            )

        await services.tx(lost)
        services.wake_outbox()
    return []


async def migrated(turn: Turn) -> list[Reply]:
    """A group became a supergroup: its binding follows it to the new chat id."""
    old, new = turn.event.chat_id, turn.event.migrated_to
    if new is None:
        return []
    now = turn.services.now()
    moved = await turn.services.tx(lambda s: Bindings(s).migrate(old, new, now=now))
    if moved is not None:
        log.info("group %s became supergroup %s; binding kept", old, new)
    return []
