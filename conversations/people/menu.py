"""Every command, once: who may use it, in which chats, how menus and /help describe it.

Derived from this table: each role's private menu and the group menu (setMyCommands), /help,
the set of known commands (anything else is "I do not know that command"), the commands that
get "send it in your private chat" / "send it in the group" when sent in the wrong chat, and
the commands that may be sent while a conversation is open."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from monitoring.i18n import N_
from monitoring.people import Role

HELPER, HEAD, STAFF, COUNTY = Role.HELPER, Role.VILLAGE_HEAD, Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF
UNIT = Role.UNIT_STAFF


class Chats(Enum):
    PRIVATE = "private"
    GROUP = "group"
    BOTH = "both"


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # msgid, in private menus and /help
    roles: tuple[Role, ...] = ()  # () = everyone, registered or not
    chats: Chats = Chats.PRIVATE
    # Listed in the group menu, with this description (msgid); None: not listed there.
    in_group_menu: str | None = None
    # A role's own wording, where the role sees the command differently.
    described_for: dict[Role, str] = field(default_factory=dict)
    # The handler itself says where to send it (after its own role check), so the wrong-chat
    # answer is not given for it.
    checks_chat_itself: bool = False
    # May be sent while a conversation (a check-in, a measure, a proposal…) is open; any
    # other command gets where that conversation stands instead.
    during_conversation: bool = False
    # Only for people not on the roster (a self-report): no role's menu lists it.
    for_strangers: bool = False

    def for_role(self, role: Role | None) -> bool:
        if self.for_strangers:
            return role is None
        return not self.roles or (role is not None and role in self.roles)

    def describe(self, role: Role | None) -> str:
        return self.described_for.get(role, self.description) if role else self.description


LEDGER = N_("The week's ledger as a spreadsheet")
HISTORY = N_("A household's check-ins, warnings and measures")
PROPOSE = N_("Propose a household for monitoring")
SUMMARY = N_("This week in numbers")

COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Register with your phone number"), chats=Chats.BOTH),
    Command(
        "help",
        N_("What you can do here"),
        chats=Chats.BOTH,
        in_group_menu=N_("What you can do here"),
    ),
    Command("report", N_("Report your household's difficulty"), for_strangers=True),
    Command(
        "checkin",
        N_("Weekly check-in of a household"),
        (HELPER, HEAD, STAFF, COUNTY, UNIT),  # any role may be on a household's team
        described_for={
            role: N_("Check-in of a household whose help team you are on")
            for role in (HEAD, STAFF, COUNTY, UNIT)
        },
        during_conversation=True,
    ),
    Command("mine", N_("My households and this week's status"), (HELPER,)),
    Command(
        "cancel",
        N_("Stop what you are filling in"),
        (HELPER, HEAD, STAFF, COUNTY, UNIT),
        during_conversation=True,
    ),
    Command("history", HISTORY, (HELPER, HEAD, STAFF)),
    Command(
        "plan", N_("A household's plan: its risks, measures and visits"), (HELPER, HEAD, STAFF)
    ),
    Command("summary", SUMMARY, (HEAD, STAFF), Chats.BOTH, in_group_menu=SUMMARY),
    Command(
        "export",
        LEDGER,
        (HEAD, STAFF),
        Chats.BOTH,
        in_group_menu=N_("The week's ledger, sent to you privately"),
    ),
    Command(
        "bind",
        N_("Township staff: choose whose group this is"),
        (STAFF,),
        Chats.GROUP,
        in_group_menu=N_("Township staff: choose whose group this is"),
    ),
    Command(
        "unbind",
        N_("Township staff: unbind this group"),
        (STAFF,),
        Chats.GROUP,
        in_group_menu=N_("Township staff: unbind this group"),
    ),
    Command("resolve", N_("Close a red warning (not a risk elimination)"), (STAFF,), Chats.BOTH),
    Command("propose", PROPOSE, (HELPER, HEAD), checks_chat_itself=True),
    Command(
        "proposals",
        N_("Proposals: yours, or waiting for you"),
        (HELPER, HEAD, STAFF, COUNTY),
        described_for={
            STAFF: N_("Proposals waiting for you"),
            COUNTY: N_("Proposals waiting for the county's decision"),
        },
        checks_chat_itself=True,
    ),
    Command(
        "eliminate",
        N_("Check and record a household's risk elimination"),
        (STAFF,),
        checks_chat_itself=True,
    ),
    Command(
        "reinstate",
        N_("Bring an eliminated household back into monitoring"),
        (STAFF,),
        checks_chat_itself=True,
    ),
    Command("measure", N_("Record a help measure for a household"), (HELPER, HEAD, STAFF)),
    Command(
        "natural_end",
        N_("Record a natural end: the last member died or the household moved away"),
        (STAFF,),
        checks_chat_itself=True,
    ),
    Command("tasks", N_("Help measures for you to carry out"), (HELPER, HEAD, UNIT)),
    Command("leads", N_("Leads to check at home"), (HEAD, STAFF)),
    Command("national", N_("Changes to enter in the national monitoring system"), (STAFF,)),
    Command(
        "language",
        N_("The language the bot uses with you (中文 / English)"),
        (HELPER, HEAD, STAFF, COUNTY, UNIT),
        checks_chat_itself=True,
    ),
)

KNOWN_COMMANDS = frozenset(c.name for c in COMMANDS)
# Sent in the wrong kind of chat, these get "send it there" (the others say so themselves).
PRIVATE_ONLY = tuple(
    c.name for c in COMMANDS if c.chats is Chats.PRIVATE and not c.checks_chat_itself and c.roles
)
GROUP_ONLY = tuple(c.name for c in COMMANDS if c.chats is Chats.GROUP)
DURING_CONVERSATION = frozenset(c.name for c in COMMANDS if c.during_conversation)
GROUP: list[tuple[str, str]] = [(c.name, c.in_group_menu) for c in COMMANDS if c.in_group_menu]


# The two or three commands a person of each role uses most: shown after registration
# (the whole list is one /help away; on a phone it read heavy).
MAIN_COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.HELPER: ("checkin", "mine"),
    Role.VILLAGE_HEAD: ("summary", "proposals"),
    Role.TOWNSHIP_STAFF: ("summary", "export", "proposals"),
    Role.COUNTY_STAFF: ("proposals",),
    Role.UNIT_STAFF: ("tasks",),
}


def main_commands(role: Role) -> list[tuple[str, str]]:
    return [(n, d) for n, d in commands_for(role) if n in MAIN_COMMANDS.get(role, ())]


def commands_for(role: Role | None) -> list[tuple[str, str]]:
    """(command, description msgid) of a person's private menu and /help: everyone's
    commands, then the role's, in the table's order."""
    return [
        (c.name, c.describe(role))
        for c in COMMANDS
        if c.chats is not Chats.GROUP and c.for_role(role)
    ]
