"""Button data, declared once and built and read from the same declaration.

    BIND_VILLAGE = Action("gb", "v", "village")
    BIND_VILLAGE.data(village=12)  -> "gb:v:12"
    BIND_VILLAGE.read("gb:v:12")   -> {"village": "12"}

Data that does not match (stale or forged) reads as None; the flow answers with a toast. Where
a prefix's buttons may be pressed at all is `conversations.buttons`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Action:
    prefix: str
    name: str
    fields: tuple[str, ...] = ()

    def __init__(self, prefix: str, name: str, *fields: str) -> None:
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "fields", fields)

    def data(self, **values: object) -> str:
        parts = [self.prefix, self.name]
        for field in self.fields:
            value = str(values[field])
            if not _VALUE.match(value):
                raise ValueError(f"{self.prefix}:{self.name}: bad {field} {value!r}")
            parts.append(value)
        return ":".join(parts)

    def read(self, data: str | None) -> dict[str, str] | None:
        parts = (data or "").split(":")
        if parts[:2] != [self.prefix, self.name] or len(parts) != 2 + len(self.fields):
            return None
        values = dict(zip(self.fields, parts[2:], strict=True))
        return values if all(_readable(v) for v in values.values()) else None


# A number in button data is a row's id, a page or a count: more than 9 digits is forged (a
# database's integer column holds at most 2,147,483,647; SQLite overflows past 2**63).
LONGEST_NUMBER = 9


def _readable(value: str) -> bool:
    return bool(_VALUE.match(value)) and not (value.isdigit() and len(value) > LONGEST_NUMBER)
