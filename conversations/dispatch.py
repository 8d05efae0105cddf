"""The one dispatch, for every platform: which flow answers an event. A platform turns its
input into an `Event` and hands it here; the order is:

1. the bot added to or removed from a group, and a group that changed its id;
2. a button: refused when pressed in a chat it does not belong in, or on a message without
   its flow's buttons (`conversations/buttons.py`); then its flow by the data's prefix, or
   the open conversation (the router: one transaction); data of no flow is stale;
3. a shared contact in a private chat: registration;
4. a private message that is no command: the open conversation's answer (the router);
   group talk that is no command is not for the bot;
5. a private command while a conversation is open gets where that conversation stands;
6. a command in the chats the command table allows it in; elsewhere "send it there"; an
   unknown private command is said to be unknown (in a group it may be another bot's).

The person behind the event is looked up once, and only for a flow that needs them (the
router finds them in its own transaction). One refusal text and one fallback text each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from conversations import interrupt
from conversations.buttons import KNOWN_PREFIXES, allowed_here
from conversations.checkin.start import checkin, household_pressed, picker_page_pressed
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Reply, Say, Toast
from conversations.engine.services import Services
from conversations.engine.turn import Flow, Turn, turn_of
from conversations.leads import flow as leads
from conversations.leads import selfreport
from conversations.national import flow as national
from conversations.people import groups, language, registration
from conversations.people.help import help_flow
from conversations.people.menu import COMMANDS, GROUP_ONLY, PRIVATE_ONLY, Chats
from conversations.plan import flow as plan
from conversations.proposals import decide, eliminate, natural_end, propose
from conversations.registry import ROUTER
from conversations.reports import export, summary
from conversations.reports import history as households
from conversations.reports.mine import mine, mine_page_pressed
from conversations.tasks import flow as tasks
from conversations.tasks import start as start_measure
from conversations.warnings import flow as warnings
from monitoring.i18n import N_

# command -> its flow, in the order the handlers are tried
COMMAND_FLOWS: tuple[tuple[str, Flow], ...] = (
    ("start", registration.start),
    ("help", help_flow),
    ("language", language.language),
    ("checkin", checkin),
    ("cancel", interrupt.cancel),
    ("bind", groups.bind),
    ("unbind", groups.unbind),
    ("resolve", warnings.resolve),
    ("history", households.history),
    ("summary", summary.summary),
    ("mine", mine),
    ("export", export.export),
    ("propose", propose.propose),
    ("proposals", decide.proposals),
    ("eliminate", eliminate.eliminate),
    ("reinstate", eliminate.reinstate),
    ("natural_end", natural_end.natural_end),
    ("tasks", tasks.tasks),
    ("plan", plan.plan),
    ("measure", start_measure.measure),
    ("leads", leads.leads),
    ("report", selfreport.report),
    ("national", national.national),
)
# the data's start (before a ":") -> its flow; the conversations' own buttons go to the
# router (registered after these, so "ci:hh" is the household list's, "ci:a" the router's)
BUTTON_FLOWS: tuple[tuple[str, Flow], ...] = (
    ("lg", language.language_pressed),
    ("ci:hh", household_pressed),
    ("ci:pg", picker_page_pressed),
    ("gb", groups.bind_pressed),
    ("al", warnings.warning_pressed),
    ("mn", mine_page_pressed),
    ("pd", decide.decision_pressed),
    ("el", eliminate.elimination_pressed),
    ("tk", tasks.task_pressed),
    ("pl", plan.plan_pressed),
    ("hm", start_measure.measure_pressed),
    ("ld", leads.lead_pressed),
    ("sr", selfreport.pressed),
    ("nl", national.national_pressed),
)
FLOW_OF = dict(COMMAND_FLOWS)
# a command that checks the kind of chat itself (it answers in both) is taken in both
CHATS = {c.name: Chats.BOTH if c.checks_chat_itself else c.chats for c in COMMANDS}
WRONG_PLACE = N_("This button can not be used here.")
STALE = N_("This button is no longer valid.")
UNKNOWN_COMMAND = N_("I do not know that command. Send /help to see what you can do.")
SEND_IN_PRIVATE = N_("Please send /{command} in your private chat with me.")
SEND_IN_GROUP = N_("Send /{command} in the group itself.")


def _in_right_chat(command: str, kind: ChatKind) -> bool:
    chats = CHATS.get(command, Chats.BOTH)
    if chats is Chats.PRIVATE:
        return kind is ChatKind.PRIVATE
    if chats is Chats.GROUP:
        return kind is ChatKind.GROUP
    return True


async def dispatch(
    event: Event,
    services: Services,
    on_message: frozenset[str] | None = None,
    turn: Turn | None = None,
) -> list[Reply]:
    """The replies to `event`. `on_message`: the prefixes of the buttons of the message a
    button was pressed on (None: the message is gone). `turn`: the event with its person,
    when the platform has looked them up already."""

    async def person() -> Turn:
        return turn if turn is not None else await turn_of(event, services)

    if event.migrated_to is not None:
        return await groups.migrated(await person())
    if event.bot_joined or event.bot_left:
        return await groups.membership(await person())
    if event.button is not None:
        return await _button(event, services, on_message, person)
    if event.contact is not None and event.chat_kind is ChatKind.PRIVATE:
        return await registration.contact(await person())
    command = event.command
    if command is None:
        if event.chat_kind is ChatKind.PRIVATE:
            return await ROUTER.answer(event, services)
        return []  # group talk that is no command: not for the bot
    if command not in FLOW_OF and event.chat_kind is ChatKind.GROUP:
        return []  # perhaps another bot's command
    current = await person()
    if event.chat_kind is ChatKind.PRIVATE:
        busy = await interrupt.command_during(current)
        if busy is not None:
            return busy
    if command in FLOW_OF and _in_right_chat(command, event.chat_kind):
        return await FLOW_OF[command](current)
    t = current.t
    if command in PRIVATE_ONLY and event.chat_kind is ChatKind.GROUP:
        return [Say(t._(SEND_IN_PRIVATE).format(command=command))]
    if command in GROUP_ONLY and event.chat_kind is ChatKind.PRIVATE:
        return [Say(t._(SEND_IN_GROUP).format(command=command))]
    if event.chat_kind is ChatKind.PRIVATE:
        return [Say(t._(UNKNOWN_COMMAND))]
    return []


async def _button(
    event: Event,
    services: Services,
    on_message: frozenset[str] | None,
    person: Callable[[], Awaitable[Turn]],
) -> list[Reply]:
    data = event.button or ""
    if not allowed_here(data, event.chat_kind, event.chat_id, event.user_id or 0, on_message):
        return [Toast((await person()).t._(WRONG_PLACE))]
    for prefix, flow in BUTTON_FLOWS:
        if data.startswith(prefix + ":"):
            return await flow(await person())
    if data.split(":", 1)[0] in ROUTER.prefixes:
        return await ROUTER.answer(event, services)  # the person found in its transaction
    return [Toast((await person()).t._(STALE))]


__all__ = ["BUTTON_FLOWS", "COMMAND_FLOWS", "KNOWN_PREFIXES", "dispatch"]
