"""A household's members, briefly (for `/history`, a private chat only): name, relation, age,
labour, health and schooling in the roster's words, the ID number masked; those living in the
household first, then those away, then those who died."""

from __future__ import annotations

from datetime import date

from monitoring.i18n import Translator
from monitoring.members import Presence
from monitoring.people import mask_id_number
from monitoring.schooling import age_on
from storage.members import Shown

ORDER = {Presence.LIVING: 0, Presence.AWAY: 1, Presence.DEAD: 2}


def _age(born: date | None, today: date, t: Translator) -> str:
    if born is None:
        return t._("age not known")
    years = age_on(born, today)
    if years < 1:
        return t._("under 1 year old")
    return t._("{n} years old").format(n=years)


def member_line(m: Shown, today: date, t: Translator) -> str:
    parts = [
        t._("{name} ({relation})").format(name=m.name, relation=m.relation),
        _age(m.born, today, t),
        *(word for word in (m.labour, m.health, m.schooling) if word),
        t._("ID {id}").format(id=mask_id_number(m.id_number))
        if m.id_number
        else t._("ID number not recorded yet"),
    ]
    if m.presence is Presence.AWAY:
        parts.append(t._("not living in the household"))
    elif m.presence is Presence.DEAD:
        parts.append(t._("died"))
    sep = "，" if t.locale.startswith("zh") else ", "
    return "  " + sep.join(parts)


def members_lines(members: list[Shown], today: date, t: Translator) -> list[str]:
    """The members' lines under a heading with how many live together; none recorded:
    nothing (the roster's count is the household's)."""
    if not members:
        return []
    living = sum(1 for m in members if m.presence is Presence.LIVING)
    ordered = sorted(members, key=lambda m: ORDER[m.presence])
    return [
        t._("Members ({n} living together):").format(n=living),
        *(member_line(m, today, t) for m in ordered),
    ]
