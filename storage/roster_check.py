"""Checking roster rows: every problem with its file, row and reason; the rows that pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from monitoring.i18n import N_
from monitoring.idcard import normalize_id_number
from monitoring.people import Category, parse_category
from monitoring.phones import InvalidPhone, normalize_mobile
from monitoring.shapes import looks_private, mask_private
from storage.repositories import Households, People
from storage.roster_facts import read_facts
from storage.roster_files import Table, cell_text, read_csv, read_xlsx
from storage.roster_format import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_OPTIONAL,
    MAX_INCOME,
    NAME_KEYS,
    SHOWN_IN_GROUPS,
    STAFF_COLUMNS,
    STAFF_OPTIONAL,
    HouseholdRow,
    RosterError,
    RowError,
    StaffRow,
)
from storage.roster_members import (
    MEMBER_COLUMNS,
    MEMBER_OPTIONAL,
    MemberRow,
    read_member,
)
from storage.roster_members import cross_check as check_members
from storage.roster_staff import read_staff
from storage.roster_team import resolve_teams


def _header_key(cell: Any, columns: dict[str, tuple[str, ...]]) -> str | None:
    text = cell_text(cell).lower()
    if not text:
        return None
    tokens = {text, *text.replace("(", " ").replace(")", " ").replace("/", " ").split()}
    for key, aliases in columns.items():
        if any(alias.lower() in tokens for alias in aliases):
            return key
    return None


def _parse_members(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if value != value.to_integral_value() or not 1 <= value <= 30:
        raise ValueError
    return int(value)


def _parse_income(text: str) -> Decimal:
    cleaned = text.replace(",", "").replace(" ", "").removesuffix("元")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError from None
    if not value.is_finite() or value < 0 or value > MAX_INCOME:
        raise ValueError
    return value.quantize(Decimal("0.01"))


class _Validator:
    def __init__(self, today: date) -> None:
        self.today = today  # the latest identification date a row may give
        self.errors: list[RowError] = []
        self.households: list[HouseholdRow] = []
        self.staff: list[StaffRow] = []
        self.members: list[MemberRow] = []
        self.teams: dict[str, list[str]] = {}  # household number -> its team's numbers

    def error(self, source: str, row: int | None, reason: str, /, **params: Any) -> None:
        self.errors.append(RowError(source, row, reason, {k: str(v) for k, v in params.items()}))

    def table(self, table: Table) -> None:
        member_keys = [_header_key(c, MEMBER_COLUMNS) for c in table.header]
        if "relation" in member_keys:  # a members file (it has a 户编号 column too)
            self._rows(table, MEMBER_COLUMNS, MEMBER_OPTIONAL, member_keys, self._member)
            return
        hh_keys = [_header_key(c, HOUSEHOLD_COLUMNS) for c in table.header]
        if "household_no" in hh_keys:
            self._rows(table, HOUSEHOLD_COLUMNS, HOUSEHOLD_OPTIONAL, hh_keys, self._household)
            return
        staff_keys = [_header_key(c, STAFF_COLUMNS) for c in table.header]
        if "role" in staff_keys:
            self._rows(table, STAFF_COLUMNS, STAFF_OPTIONAL, staff_keys, self._staff)
            return
        self.error(
            table.source,
            1 if table.header else None,
            N_(
                "header not recognised: a households file needs a 户编号/household_no column, "
                "a staff file a 角色/role column, a members file 与户主关系/relation"
            ),
        )

    def _rows(
        self,
        table: Table,
        columns: dict[str, tuple[str, ...]],
        optional: frozenset[str],
        keys: list[str | None],
        handle: Any,
    ) -> None:
        seen: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key is None:
                continue
            if key in seen:
                self.error(
                    table.source, 1, N_("column {column} appears twice"), column=columns[key][0]
                )
                return
            seen[key] = index
        missing = [
            columns[k][0] + "/" + columns[k][1]
            for k in columns
            if k not in seen and k not in optional
        ]
        if missing:
            self.error(
                table.source, 1, N_("missing columns: {columns}"), columns=", ".join(missing)
            )
            return
        any_row = False
        for number, raw in table.rows:
            values = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in seen.items()}
            if not any(values.values()):
                continue  # blank line
            any_row = True
            raw_values = {k: (raw[i] if i < len(raw) else None) for k, i in seen.items()}
            handle(table.source, number, values, raw_values)
        if not any_row:
            self.error(table.source, None, N_("the file has a header but no rows"))

    def _required(
        self,
        source: str,
        row: int,
        values: dict[str, str],
        keys: Iterable[str],
        columns: dict[str, tuple[str, ...]],
    ) -> bool:
        ok = True
        for key in keys:
            if not values.get(key):
                self.error(source, row, N_("{column} is empty"), column=columns[key][0])
                ok = False
        for key in NAME_KEYS & set(values):
            if any(ch.isdigit() for ch in values[key]):
                # a phone or ID number pasted into a name would reach group messages
                self.error(
                    source,
                    row,
                    N_("{column} {value} has digits in it: a name, not a number, please"),
                    column=columns[key][0],
                    value=values[key],
                )
                ok = False
        for key in SHOWN_IN_GROUPS & set(values):
            if looks_private(values[key]):
                self.error(
                    source,
                    row,
                    N_("{column} {value} looks like an ID or mobile number: groups see it"),
                    column=columns[key][0],
                    value=mask_private(values[key])[0],
                )
                ok = False
        return ok

    def _household(
        self, source: str, row: int, values: dict[str, str], raw: dict[str, Any]
    ) -> None:
        required = [k for k in HOUSEHOLD_COLUMNS if k not in HOUSEHOLD_OPTIONAL]
        ok = self._required(source, row, values, required, HOUSEHOLD_COLUMNS)
        members = 0
        if values["members"]:
            try:
                members = _parse_members(values["members"])
            except ValueError:
                self.error(
                    source,
                    row,
                    N_("家庭人口 must be a whole number from 1 to 30, not {value}"),
                    value=values["members"],
                )
                ok = False
        category = Category.UNSTABLE
        if values["category"]:
            try:
                category = parse_category(values["category"])
            except ValueError:
                self.error(
                    source,
                    row,
                    N_(
                        "unknown 监测类型 {value} (use 脱贫不稳定户, 边缘易致贫户, "
                        "突发严重困难户, unstable, marginal or sudden_hardship)"
                    ),
                    value=values["category"],
                )
                ok = False
        income = Decimal(0)
        if values["last_year_income_per_capita"]:
            try:
                income = _parse_income(values["last_year_income_per_capita"])
            except ValueError:
                self.error(
                    source,
                    row,
                    N_(
                        "上年人均纯收入 must be an amount in yuan from 0 to 10,000,000, not {value}"
                    ),
                    value=values["last_year_income_per_capita"],
                )
                ok = False
        helper_phone = ""
        if values["helper_phone"]:
            try:
                helper_phone = normalize_mobile(values["helper_phone"])
            except InvalidPhone:
                self.error(
                    source,
                    row,
                    N_("帮扶责任人电话 {value} is not a mainland mobile number"),
                    value=values["helper_phone"],
                )
                ok = False
        id_number: str | None = None
        if values.get("id_number"):
            if isinstance(raw.get("id_number"), int | float):
                self.error(
                    source,
                    row,
                    N_(
                        "身份证号 is stored as a number and has lost digits: "
                        "format the column as text"
                    ),
                )
                ok = False
            else:
                try:
                    id_number = normalize_id_number(values["id_number"])
                except ValueError:
                    self.error(source, row, N_("身份证号 is not a valid ID number"))
                    ok = False
        facts, problems = read_facts(values, raw, self.today)
        for reason, params in problems:
            self.error(source, row, reason, **params)
        if ok and not problems:
            self.households.append(
                HouseholdRow(
                    source,
                    row,
                    values["township"],
                    values["village"],
                    values["household_no"],
                    values["head_name"],
                    id_number,
                    members,
                    category,
                    income,
                    values["helper_name"],
                    helper_phone,
                    facts,
                )
            )

    def _member(self, source: str, row: int, values: dict[str, str], raw: dict[str, Any]) -> None:
        required = [k for k in MEMBER_COLUMNS if k not in MEMBER_OPTIONAL]
        ok = self._required(source, row, values, required, MEMBER_COLUMNS)
        member, problems = read_member(source, row, values, raw, ok)
        for reason, params in problems:
            self.error(source, row, reason, **params)
        if member is not None:
            self.members.append(member)

    def _staff(self, source: str, row: int, values: dict[str, str], raw: dict[str, Any]) -> None:
        required = [k for k in STAFF_COLUMNS if k not in STAFF_OPTIONAL]
        ok = self._required(source, row, values, required, STAFF_COLUMNS)
        staff, problems = read_staff(source, row, values, ok)
        for reason, params in problems:
            self.error(source, row, reason, **params)
        if staff is not None:
            self.staff.append(staff)

    def cross_check(self, people: People, households: Households) -> None:
        by_phone: dict[str, StaffRow] = {}
        for s in self.staff:
            first = by_phone.get(s.phone)
            if first is not None:
                self.error(
                    s.source,
                    s.row,
                    N_("phone {phone} is already listed for {name} ({file} row {row})"),
                    phone=s.phone,
                    name=first.name,
                    file=first.source,
                    row=first.row,
                )
            else:
                by_phone[s.phone] = s
        seen_numbers: dict[str, HouseholdRow] = {}
        seen_ids: dict[str, HouseholdRow] = {}
        helper_names: dict[str, HouseholdRow] = {}
        for h in self.households:
            earlier_row = seen_numbers.get(h.number)
            if earlier_row is not None:
                self.error(
                    h.source,
                    h.row,
                    N_("duplicate 户编号 {number} (first at {file} row {row})"),
                    number=h.number,
                    file=earlier_row.source,
                    row=earlier_row.row,
                )
            else:
                seen_numbers[h.number] = h
            if h.id_number:
                other = seen_ids.get(h.id_number)
                if other is not None:
                    self.error(
                        h.source,
                        h.row,
                        N_("身份证号 is the same as household {number}'s"),
                        number=other.number,
                    )
                else:
                    seen_ids[h.id_number] = h
                existing = households.by_id_number(h.id_number)
                if existing is not None and existing.number != h.number:
                    self.error(
                        h.source,
                        h.row,
                        N_("身份证号 is already registered for household {number}"),
                        number=existing.number,
                    )
            staff = by_phone.get(h.helper_phone)
            expected = staff.name if staff else None
            if expected is None:
                earlier = helper_names.get(h.helper_phone)
                if earlier is not None:
                    expected = earlier.helper_name
            if expected is None:
                person = people.by_phone(h.helper_phone)
                expected = person.name if person else None
            if expected is not None and expected != h.helper_name:
                self.error(
                    h.source,
                    h.row,
                    N_("帮扶责任人电话 belongs to {name}, not {given}"),
                    name=expected,
                    given=h.helper_name,
                )
            helper_names.setdefault(h.helper_phone, h)
        self.teams, problems = resolve_teams(people.session, self.households, self.staff)
        for h, (reason, params) in problems:
            self.error(h.source, h.row, reason, **params)
        numbers = {h.number for h in self.households}
        for m, (reason, params) in check_members(people.session, self.members, numbers):
            self.error(m.source, m.row, reason, **params)


def read_roster(
    paths: Sequence[Path], today: date
) -> tuple[list[HouseholdRow], list[StaffRow], _Validator]:
    validator = _Validator(today)
    for path in paths:
        if not path.exists():
            validator.error(path.name, None, N_("file not found: {path}"), path=str(path))
            continue
        suffix = path.suffix.lower()
        try:
            if suffix == ".csv":
                tables = list(read_csv(path))
            elif suffix in (".xlsx", ".xlsm"):
                tables = list(read_xlsx(path))
            else:
                validator.error(
                    path.name,
                    None,
                    N_("unsupported file type {suffix}: use .csv or .xlsx"),
                    suffix=suffix or "(none)",
                )
                continue
        except RosterError as exc:
            validator.errors.extend(exc.errors)
            continue
        if not tables:
            validator.error(path.name, None, N_("the file is empty"))
        for table in tables:
            validator.table(table)
    return validator.households, validator.staff, validator
