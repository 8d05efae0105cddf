"""The roster's members file (家庭成员): one row per person, recognised by its 与户主关系 /
relation column: 户编号, 姓名, 与户主关系, 身份证号, 劳动能力, 健康状况, 在校情况, 参保情况 (Chinese
or English headers). Checked here (kept beside `roster_check.py`, which is at its length
limit), written by `import_members`: a member is found again by ID number, else by name in
its household; a household's members missing from a new file are kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.idcard import normalize_id_number
from monitoring.members import LONGEST_TEXT, Presence, born_on, living
from monitoring.shapes import looks_private
from storage.models import Household
from storage.models_members import Member
from storage.repositories import Audit

Problem = tuple[str, dict[str, str]]

MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "household_no": ("户编号", "household_no"),
    "name": ("姓名", "name"),
    "relation": ("与户主关系", "relation"),
    "id_number": ("身份证号", "id_number"),
    "labour": ("劳动能力", "labour"),
    "health": ("健康状况", "health"),
    "schooling": ("在校情况", "schooling"),
    "insurance": ("参保情况", "insurance"),
}
MEMBER_OPTIONAL = frozenset({"id_number", "labour", "health", "schooling", "insurance"})
FACTS = ("labour", "health", "schooling", "insurance")


@dataclass(frozen=True)
class MemberRow:
    source: str
    row: int
    household_no: str
    name: str
    relation: str
    id_number: str | None
    labour: str | None
    health: str | None
    schooling: str | None
    insurance: str | None


def read_member(
    source: str, row: int, values: dict[str, str], raw: dict[str, Any], ok: bool
) -> tuple[MemberRow | None, list[Problem]]:
    """The row, or None with what is wrong (`ok`: the required cells are there). An ID
    number is never repeated in a problem (the file's reader sees the row number)."""
    problems: list[Problem] = []
    id_number = None
    if values.get("id_number"):
        if isinstance(raw.get("id_number"), int | float):
            problems.append(
                (
                    N_(
                        "身份证号 is stored as a number and has lost digits: "
                        "format the column as text"
                    ),
                    {},
                )
            )
        else:
            try:
                id_number = normalize_id_number(values["id_number"])
            except ValueError:
                problems.append((N_("身份证号 is not a valid ID number"), {}))
    for key in ("relation", *FACTS):
        text = values.get(key) or ""
        if len(text) > LONGEST_TEXT or looks_private(text):
            problems.append(
                (
                    N_("{column} should be a few words (at most {n} characters)"),
                    {"column": MEMBER_COLUMNS[key][0], "n": str(LONGEST_TEXT)},
                )
            )
    name = values.get("name") or ""
    if any(ch.isdigit() for ch in name) or len(name) > 50:
        problems.append((N_("姓名 should be a name, without digits"), {}))
    if problems or not ok:
        return None, problems
    return (
        MemberRow(
            source,
            row,
            values["household_no"],
            name,
            values["relation"],
            id_number,
            *(values.get(key) or None for key in FACTS),
        ),
        [],
    )


def cross_check(
    session: Session, rows: Sequence[MemberRow], numbers_in_files: set[str]
) -> list[tuple[MemberRow, Problem]]:
    """Each row's household must exist (in the files or stored); an ID number once."""
    problems: list[tuple[MemberRow, Problem]] = []
    stored = set(session.scalars(select(Household.number)))
    seen: dict[str, MemberRow] = {}
    for m in rows:
        if m.household_no not in numbers_in_files and m.household_no not in stored:
            problems.append((m, (N_("no household {number}"), {"number": m.household_no})))
        if m.id_number:
            first = seen.get(m.id_number)
            if first is not None:
                problems.append(
                    (m, (N_("身份证号 is the same as in row {row}"), {"row": str(first.row)}))
                )
            seen.setdefault(m.id_number, m)
    return problems


def import_members(
    session: Session, rows: Sequence[MemberRow], *, now: datetime, actor: str
) -> int:
    """Write the members (new or changed: audited); each household's member count becomes
    the members living in it. The number of members created or changed."""
    audit = Audit(session)
    changed = 0
    households: dict[str, Household] = {}
    for m in rows:
        household = (
            households.get(m.household_no)
            or session.scalars(select(Household).where(Household.number == m.household_no)).one()
        )
        households[m.household_no] = household
        member = _find(session, household.id, m)
        fields: dict[str, Any] = {
            "name": m.name,
            "relation": m.relation,
            "labour": m.labour,
            "health": m.health,
            "schooling": m.schooling,
            "insurance": m.insurance,
        }
        if m.id_number is not None:
            fields |= {"id_number": m.id_number, "born_on": born_on(m.id_number)}
        if member is None:
            member = Member(
                household_id=household.id,
                presence=Presence.LIVING.value,
                presence_since=now.date(),
                created_at=now,
                updated_at=now,
                changed_at=now,
                **{"id_number": None, "born_on": None, **fields},
            )
            session.add(member)
            session.flush()
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="member",
                key=f"{household.number}/{member.id}",
                new=f"{m.name} {m.relation}",
            )
            changed += 1
        elif audit.update_fields(
            member,
            fields,
            now=now,
            actor=actor,
            entity="member",
            key=f"{household.number}/{member.id}",
        ):
            member.changed_at = now
            changed += 1
    session.flush()
    for household in households.values():
        sync_members(session, household, now=now, actor=actor)
    return changed


def sync_members(session: Session, household: Household, *, now: datetime, actor: str) -> None:
    """The household's member count: those living in it, where members are recorded."""
    presences = session.scalars(select(Member.presence).where(Member.household_id == household.id))
    count = living(presences)
    if count >= 1:
        Audit(session).update_fields(
            household,
            {"members": count},
            now=now,
            actor=actor,
            entity="household",
            key=household.number,
        )


def _find(session: Session, household_id: int, m: MemberRow) -> Member | None:
    if m.id_number is not None:
        found = session.scalars(
            select(Member).where(
                Member.household_id == household_id, Member.id_number == m.id_number
            )
        ).first()
        if found is not None:
            return found
    return session.scalars(
        select(Member).where(Member.household_id == household_id, Member.name == m.name)
    ).first()
