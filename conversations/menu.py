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
    ],
    Role.VILLAGE_HEAD: [],
    Role.TOWNSHIP_STAFF: [],
}

GROUP: list[tuple[str, str]] = [
    ("help", N_("What you can do here")),
]


def commands_for(role: Role | None) -> list[tuple[str, str]]:
    if role is None:
        return list(EVERYONE)
    return [*EVERYONE, *BY_ROLE[role]]
