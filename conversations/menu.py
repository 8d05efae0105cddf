"""The commands each role may use: one table for setMyCommands and for /help."""

from __future__ import annotations

from monitoring.i18n import N_
from monitoring.people import Role

# (command, description msgid). A command appears here once its handler exists.
EVERYONE: list[tuple[str, str]] = [
    ("start", N_("Register with your phone number")),
    ("help", N_("What you can do here")),
]

BY_ROLE: dict[Role, list[tuple[str, str]]] = {
    Role.HELPER: [
        ("checkin", N_("Weekly check-in of a household")),
        ("mine", N_("My households and this week's status")),
        ("cancel", N_("Discard an unfinished check-in")),
        ("history", N_("A household's check-ins, warnings and measures")),
        ("propose", N_("Propose a household for monitoring")),
        ("proposals", N_("Proposals: yours, or waiting for you")),
    ],
    Role.VILLAGE_HEAD: [
        ("summary", N_("This week in numbers")),
        ("export", N_("The week's ledger as a spreadsheet")),
        ("history", N_("A household's check-ins, warnings and measures")),
        ("propose", N_("Propose a household for monitoring")),
        ("proposals", N_("Proposals: yours, or waiting for you")),
    ],
    Role.TOWNSHIP_STAFF: [
        ("summary", N_("This week in numbers")),
        ("export", N_("The week's ledger as a spreadsheet")),
        ("history", N_("A household's check-ins, warnings and measures")),
        ("resolve", N_("Close a red warning: risk eliminated")),
        ("proposals", N_("Proposals waiting for you")),
        ("eliminate", N_("Check and record a household's risk elimination")),
        ("reinstate", N_("Bring an eliminated household back into monitoring")),
    ],
}

GROUP: list[tuple[str, str]] = [
    ("help", N_("What you can do here")),
    ("summary", N_("This week in numbers")),
    ("export", N_("The week's ledger, sent to you privately")),
    ("bind", N_("Township staff: choose whose group this is")),
    ("unbind", N_("Township staff: unbind this group")),
]


def commands_for(role: Role | None) -> list[tuple[str, str]]:
    if role is None:
        return list(EVERYONE)
    return [*EVERYONE, *BY_ROLE[role]]
