"""/help: who the person is to the bot, and the commands of their role (from the one command
table)."""

from __future__ import annotations

from conversations.engine.replies import Reply, Say
from conversations.engine.services import ROLE_LABELS, PersonView
from conversations.engine.turn import Turn
from conversations.people.menu import commands_for, main_commands
from monitoring.i18n import Translator


def describe(person: PersonView, t: Translator) -> str:
    """`帮扶责任人，青山村（龙溪镇）`: role and place, in the reader's language."""
    role = t._(ROLE_LABELS[person.role])
    if person.village_name:
        return t._("{role}, {village} ({township})").format(
            role=role, village=person.village_name, township=person.township_name
        )
    return t._("{role}, {township}").format(role=role, township=person.township_name)


def help_text(person: PersonView | None, t: Translator) -> str:
    lines: list[str] = []
    if person is None:
        lines.append(t._("You are not registered yet. Send /start and share your phone number."))
    else:
        lines.append(t._("{name}: {what}").format(name=person.name, what=describe(person, t)))
    lines.append(t._("Commands:"))
    for command, description in commands_for(person.role if person else None):
        lines.append(f"/{command} — {t._(description)}")
    return "\n".join(lines)


def short_help(person: PersonView, t: Translator) -> str:
    """After registration: the commands this person uses most, and /help for the rest."""
    lines = [t._("Most used:")]
    lines += [
        f"/{command} — {t._(description)}" for command, description in main_commands(person.role)
    ]
    lines.append(t._("Send /help for every command."))
    return "\n".join(lines)


async def help_flow(turn: Turn) -> list[Reply]:
    return [Say(help_text(turn.person, turn.t))]
