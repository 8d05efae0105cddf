"""The check-in's member changes, for households whose members are recorded: has anyone been
born, died, left or come back since the last visit (one tap: 没有变化); each change in a
round (a birth: name, relation, birth date, the ID number later; a death, a departure, a
return: which member). The members living in the household after the changes are the
per-capita figure's divisor, instead of the count the check-in asks otherwise.

The members as they stood when the check-in started are kept in its draft (MEMBERS_KEY:
their ids, names, relations, presence and birth dates, and the visit's day), so an answer
reads nothing more than the draft. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from monitoring.i18n import N_
from monitoring.members import Presence
from monitoring.questions import AnswerError, Answers, Group, Kind, Question
from monitoring.schooling import SchoolBasis, school_basis, school_child_among

MEMBERS_KEY = "household_members"
SCHOOL_KEY = "school_basis"
OLDEST_BIRTH = timedelta(days=366)  # a birth recorded at a visit: within the last year


@dataclass(frozen=True)
class Member:
    """A member as the check-in knows them (`id` None: born at this visit)."""

    id: int | None
    name: str
    relation: str
    presence: Presence
    born: date | None


class Change(StrEnum):
    BORN = "born"  # 新出生
    DIED = "died"  # 去世
    LEFT = "left"  # 外出/迁出: no longer lives in the household
    RETURNED = "returned"  # 返回: lives in it again


CHANGE_NAMES: tuple[tuple[str, str], ...] = (
    (Change.BORN.value, N_("New birth")),
    (Change.DIED.value, N_("Died")),
    (Change.LEFT.value, N_("Left the household")),
    (Change.RETURNED.value, N_("Came back")),
)
# Who a change may be about (their presence before it), and their presence after it.
BEFORE: dict[Change, frozenset[Presence]] = {
    Change.DIED: frozenset({Presence.LIVING, Presence.AWAY}),
    Change.LEFT: frozenset({Presence.LIVING}),
    Change.RETURNED: frozenset({Presence.AWAY}),
}
AFTER: dict[Change, Presence] = {
    Change.BORN: Presence.LIVING,
    Change.DIED: Presence.DEAD,
    Change.LEFT: Presence.AWAY,
    Change.RETURNED: Presence.LIVING,
}
WHO = {Change.DIED: "member_died", Change.LEFT: "member_left", Change.RETURNED: "member_returned"}
# A newborn's relation to the head of household: (value, button), and the register's word.
RELATIONS: tuple[tuple[str, str], ...] = (
    ("son", N_("Son")),
    ("daughter", N_("Daughter")),
    ("grandson", N_("Grandson")),
    ("granddaughter", N_("Granddaughter")),
    ("dgrandson", N_("Daughter's son")),
    ("dgranddaughter", N_("Daughter's daughter")),
    ("other", N_("Other relation")),
)
RELATION_WORDS = {
    "son": "之子",
    "daughter": "之女",
    "grandson": "之孙子",
    "granddaughter": "之孙女",
    "dgrandson": "之外孙子",
    "dgranddaughter": "之外孙女",
    "other": "其他",
}


@dataclass(frozen=True)
class MemberChange:
    """One change a check-in records (`member_id` None: a birth)."""

    change: Change
    member_id: int | None
    name: str
    relation: str
    born: date | None = None

    @property
    def presence(self) -> Presence:
        return AFTER[self.change]


# ----------------------------------------------------------------------------- the draft


def draft_facts(members: Iterable[Member], day: date) -> dict[str, Any]:
    """What a check-in keeps of the household's members when it starts (JSON)."""
    return {
        "day": day.isoformat(),
        "members": [
            {
                "id": m.id,
                "name": m.name,
                "relation": m.relation,
                "presence": m.presence.value,
                "born": m.born.isoformat() if m.born else None,
            }
            for m in members
        ],
    }


def start_facts(
    members: Iterable[Member],
    *,
    day: date,
    has_school_child: bool | None,
    asked_on: date | None,
) -> dict[str, Any]:
    """What a check-in starting on `day` keeps besides its answers: the members (where at
    least one is recorded living in the household) and how it knows about a school-age
    child (monitoring.schooling)."""
    members = list(members)
    living = [m.born for m in members if m.presence is Presence.LIVING]
    facts: dict[str, Any] = {}
    from_members = None
    if living:
        facts[MEMBERS_KEY] = draft_facts(members, day)
        from_members = school_child_among(living, day)
    facts[SCHOOL_KEY] = school_basis(from_members, has_school_child, asked_on, day).value
    return facts


def recorded(answers: Answers) -> bool:
    """Whether the check-in started with the household's members recorded."""
    return bool((answers.get(MEMBERS_KEY) or {}).get("members"))


def visit_day(answers: Answers) -> date | None:
    day = (answers.get(MEMBERS_KEY) or {}).get("day")
    return date.fromisoformat(day) if day else None


def _roster(answers: Answers) -> list[Member]:
    return [
        Member(
            m["id"],
            m["name"],
            m["relation"],
            Presence(m["presence"]),
            date.fromisoformat(m["born"]) if m.get("born") else None,
        )
        for m in (answers.get(MEMBERS_KEY) or {}).get("members") or []
    ]


def _at(answers: Answers, qid: str, round_: int) -> Any:
    values = answers.get(qid) or []
    return values[round_] if round_ < len(values) else None


def changes_of(answers: Answers, rounds: int | None = None) -> list[MemberChange]:
    """The changes of the rounds answered (of the first `rounds` only, when given)."""
    if answers.get("member_changed") is not True:
        return []
    by_id = {m.id: m for m in _roster(answers)}
    found: list[MemberChange] = []
    kinds = answers.get("member_change") or []
    for round_, kind in enumerate(kinds[:rounds] if rounds is not None else kinds):
        change = Change(kind)
        if change is Change.BORN:
            name = _at(answers, "member_name", round_)
            relation = _at(answers, "member_relation", round_)
            born = _at(answers, "member_born", round_)
            if name and relation and born:
                word = RELATION_WORDS.get(relation, relation)
                found.append(MemberChange(change, None, name, word, date.fromisoformat(born)))
            continue
        who = _at(answers, WHO[change], round_)
        member = by_id.get(who["id"]) if isinstance(who, dict) else None
        if member is not None:
            found.append(MemberChange(change, member.id, member.name, member.relation))
    return found


def members_after(answers: Answers, rounds: int | None = None) -> list[Member]:
    """The members with the changes of the rounds answered applied (births last)."""
    members = {m.id: m for m in _roster(answers)}
    born: list[Member] = []
    for c in changes_of(answers, rounds):
        if c.member_id is None:
            born.append(Member(None, c.name, c.relation, Presence.LIVING, c.born))
        elif c.member_id in members:
            m = members[c.member_id]
            members[c.member_id] = Member(m.id, m.name, m.relation, c.presence, m.born)
    return [*members.values(), *born]


def living_after(answers: Answers) -> int:
    """The members living in the household after the changes: the per-capita divisor."""
    return sum(1 for m in members_after(answers) if m.presence is Presence.LIVING)


def school_from_members(answers: Answers) -> bool | None:
    """Whether a member living in the household after the changes is of compulsory-school
    age on the visit's day (None: no members recorded, or a birth date not known)."""
    day = visit_day(answers)
    if not recorded(answers) or day is None:
        return None
    living = [m.born for m in members_after(answers) if m.presence is Presence.LIVING]
    return school_child_among(living, day)


def school_basis_of(answers: Answers) -> SchoolBasis:
    try:
        return SchoolBasis(answers.get(SCHOOL_KEY, SchoolBasis.KNOWN.value))
    except ValueError:
        return SchoolBasis.KNOWN


# ----------------------------------------------------------------------------- the choices


def choices(answers: Answers, round_: int, change: Change) -> list[Member]:
    """The members a change in round `round_` may be about (after the rounds before it)."""
    allowed = BEFORE.get(change, frozenset())
    return [m for m in members_after(answers, round_) if m.id is not None and m.presence in allowed]


def offered(answers: Answers, round_: int) -> tuple[tuple[str, str], ...]:
    """The changes round `round_` offers: a birth always, the others when someone may have
    them (no one away: no return)."""
    return tuple(
        (value, label)
        for value, label in CHANGE_NAMES
        if value == Change.BORN.value or choices(answers, round_, Change(value))
    )


_CHANGE_WORDS = {
    "出生": Change.BORN,
    "新出生": Change.BORN,
    "去世": Change.DIED,
    "死亡": Change.DIED,
    "外出": Change.LEFT,
    "迁出": Change.LEFT,
    "返回": Change.RETURNED,
    "回来": Change.RETURNED,
}
PRESS_CHANGE = N_("Please press one of the buttons: what changed.")


def check_change(answers: Answers, round_: int, value: str, pressed: bool) -> str:
    word = unicodedata.normalize("NFKC", value).strip()
    change = _CHANGE_WORDS.get(word) if not pressed else None
    chosen = change.value if change is not None else word
    if chosen not in {v for v, _ in offered(answers, round_)}:
        raise AnswerError(PRESS_CHANGE)
    return chosen


LAST_ONE = N_(
    "No one else lives in the household: it can not be recorded here. If the household "
    "has died out or moved away, the township records a natural end (自然消除)."
)
PRESS_MEMBER = N_("Please press the member's name (or type it as recorded).")


def check_member(answers: Answers, round_: int, value: str, pressed: bool) -> dict[str, Any]:
    """The member a death, departure or return is about: {"id", "name"}."""
    change = Change(_at(answers, "member_change", round_))
    eligible = choices(answers, round_, change)
    wanted = unicodedata.normalize("NFKC", value).strip()
    if pressed:
        found = [m for m in eligible if str(m.id) == wanted]
    else:
        found = [m for m in eligible if unicodedata.normalize("NFKC", m.name) == wanted]
    if len(found) != 1:
        raise AnswerError(PRESS_MEMBER)
    member = found[0]
    if change in (Change.DIED, Change.LEFT) and member.presence is Presence.LIVING:
        living = [m for m in members_after(answers, round_) if m.presence is Presence.LIVING]
        if len(living) <= 1:
            raise AnswerError(LAST_ONE)
    return {"id": member.id, "name": member.name}


_DATE = re.compile(r"(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?")
_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})")
DATE_HINT = N_("Please type the date of birth, such as 2026-10-03 or 2026年10月3日.")
FUTURE = N_("That date is after the visit: please check it.")
TOO_OLD = N_(
    "That birth is more than a year ago: a member born earlier is added by the township "
    "in the roster's members file."
)


def parse_day(text: str) -> date:
    """A day as people type it: 2026-10-03, 2026.10.3, 2026/10/3, 2026年10月3日, 20261003
    (full-width digits too); ValueError otherwise."""
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.fullmatch(folded) or _DIGITS.fullmatch(folded)
    if match is None:
        raise ValueError("not a date")
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def check_born(answers: Answers, round_: int, value: str, pressed: bool) -> str:
    try:
        born = parse_day(value)
    except ValueError:
        raise AnswerError(DATE_HINT) from None
    day = visit_day(answers)
    if day is not None and born > day:
        raise AnswerError(FUTURE)
    if day is not None and born < day - OLDEST_BIRTH:
        raise AnswerError(TOO_OLD)
    return born.isoformat()


# ----------------------------------------------------------------------------- the questions


def _is(change: Change) -> Any:
    return lambda a, r: _at(a, "member_change", r) == change.value


def _member_question(change: Change, text: str, label: str) -> Question:
    return Question(WHO[change], Kind.MEMBER, text, label, in_round=_is(change), check=check_member)


CHANGES = Group(
    "member_changes",
    (
        Question(
            "member_change",
            Kind.CHOICE,
            N_("What changed?"),
            N_("Change in members"),
            options=CHANGE_NAMES,
            check=check_change,
        ),
        Question(
            "member_name",
            Kind.NAME,
            N_("The newborn's name? Type it (if not named yet, the name used for now)."),
            N_("Newborn"),
            in_round=_is(Change.BORN),
        ),
        Question(
            "member_relation",
            Kind.CHOICE,
            N_("The newborn's relation to the head of household?"),
            N_("Relation"),
            options=RELATIONS,
            in_round=_is(Change.BORN),
        ),
        Question(
            "member_born",
            Kind.DATE,
            N_("Date of birth? (e.g. 2026-10-03; the ID number is added later)"),
            N_("Born on"),
            in_round=_is(Change.BORN),
            check=check_born,
        ),
        _member_question(Change.DIED, N_("Who has died? Press their name."), N_("Died")),
        _member_question(
            Change.LEFT,
            N_(
                "Who no longer lives in the household (gone out for good, moved away, married "
                "out)? Press their name."
            ),
            N_("Left the household"),
        ),
        _member_question(
            Change.RETURNED,
            N_("Who has come back to live in the household? Press their name."),
            N_("Came back"),
        ),
        Question(
            "member_more",
            Kind.YESNO,
            N_("Is there another change in the household's members?"),
            N_("Another"),
        ),
    ),
    applies=lambda a, f, e: recorded(a) and a.get("member_changed") is True,
)

MEMBER_QUESTIONS: tuple[Question | Group, ...] = (
    Question(
        "member_changed",
        Kind.YESNO,
        N_(
            "Since the last visit, has anyone in the household been born, died, left or come "
            "back? Living in it now: {living}."
        ),
        N_("Members changed"),
        answers_as=((N_("Changed"), True), (N_("No change"), False)),
        applies=lambda a, f, e: recorded(a),
    ),
    CHANGES,
)
MEMBER_FOLLOWERS: tuple[str, ...] = tuple(q.id for q in CHANGES.questions)
