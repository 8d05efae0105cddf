"""Roster import: households and staff from CSV or XLSX, all or nothing, audited.

A file is recognised by its header row (Chinese or English column names). Every bad row is
reported with file, row number and reason, and when there is any, nothing is written.
Re-importing updates in place: households are keyed by household number, people by phone.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.idcard import normalize_id_number
from monitoring.people import (
    Category,
    HouseholdStatus,
    Role,
    parse_category,
    parse_role,
)
from monitoring.phones import InvalidPhone, normalize_mobile
from storage.models import Household, Person
from storage.repositories import Audit, Households, People, Places

MAX_INCOME = Decimal(10_000_000)

HOUSEHOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "township": ("乡镇", "township"),
    "village": ("村", "village"),
    "household_no": ("户编号", "household_no"),
    "head_name": ("户主姓名", "head_name"),
    "id_number": ("身份证号", "id_number"),
    "members": ("家庭人口", "members"),
    "category": ("监测类型", "category"),
    "last_year_income_per_capita": ("上年人均纯收入", "last_year_income_per_capita"),
    "helper_name": ("帮扶责任人", "helper_name"),
    "helper_phone": ("帮扶责任人电话", "helper_phone"),
}
HOUSEHOLD_OPTIONAL = frozenset({"id_number"})

STAFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "role": ("角色", "role"),
    "township": ("乡镇", "township"),
    "village": ("村", "village"),
}
STAFF_OPTIONAL = frozenset({"village"})


@dataclass(frozen=True)
class RowError:
    """One reason a file can not be imported. `reason` is a message id; `params` fill it."""

    file: str
    row: int | None
    reason: str
    params: dict[str, str] = field(default_factory=dict)


class RosterError(Exception):
    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the roster")
        self.errors = list(errors)


@dataclass
class ImportResult:
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    assignments_changed: int = 0
    households_not_in_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HouseholdRow:
    source: str
    row: int
    township: str
    village: str
    number: str
    head_name: str
    id_number: str | None
    members: int
    category: Category
    income: Decimal
    helper_name: str
    helper_phone: str


@dataclass(frozen=True)
class StaffRow:
    source: str
    row: int
    name: str
    phone: str
    role: Role
    township: str
    village: str | None


# ----------------------------------------------------------------------------- reading files

# Columns that hold the name of a helper or staff member: they appear unmasked in group
# messages (the warning names its helper), so a phone pasted there would leak.
NAME_KEYS = frozenset({"helper_name", "name"})


@dataclass
class _Table:
    source: str  # "file.csv" or "file.xlsx[Sheet1]"
    header: list[Any]
    rows: list[tuple[int, list[Any]]]


def _read_csv(path: Path) -> Iterator[_Table]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet programs in China often save CSV as GB18030 (GBK); accept it too.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise RosterError(
                [RowError(path.name, None, N_("the file is neither UTF-8 nor GBK text"))]
            ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = list(reader)
    except csv.Error as exc:  # a field over the size limit, a NUL byte...
        raise RosterError(
            [
                RowError(
                    path.name,
                    reader.line_num or None,
                    N_("the file is not a readable CSV file: {error}"),
                    {"error": str(exc)},
                )
            ]
        ) from None
    if not lines:
        yield _Table(path.name, [], [])
        return
    yield _Table(path.name, list(lines[0]), [(i, row) for i, row in enumerate(lines[1:], start=2)])


def _read_xlsx(path: Path) -> Iterator[_Table]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise RosterError(
            [
                RowError(
                    path.name,
                    None,
                    N_("the file is not a readable XLSX workbook: {error}"),
                    {"error": str(exc)},
                )
            ]
        ) from None
    try:
        for sheet in workbook.worksheets:
            try:  # a sheet's XML is parsed only now: broken or hostile XML fails here
                rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            except Exception as exc:
                raise RosterError(
                    [
                        RowError(
                            f"{path.name}[{sheet.title}]",
                            None,
                            N_("the sheet can not be read: {error}"),
                            {"error": f"{type(exc).__name__}: {exc}"[:200]},
                        )
                    ]
                ) from None
            if not any(any(_cell(c) for c in r) for r in rows):
                continue
            yield _Table(
                f"{path.name}[{sheet.title}]",
                rows[0],
                [(i, row) for i, row in enumerate(rows[1:], start=2)],
            )
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    """A cell as clean text: NFKC-folded (full-width digits), trimmed; 3.0 -> "3"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _header_key(cell: Any, columns: dict[str, tuple[str, ...]]) -> str | None:
    text = _cell(cell).lower()
    if not text:
        return None
    tokens = {text, *text.replace("(", " ").replace(")", " ").replace("/", " ").split()}
    for key, aliases in columns.items():
        if any(alias.lower() in tokens for alias in aliases):
            return key
    return None


# ----------------------------------------------------------------------------- validation


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
    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.households: list[HouseholdRow] = []
        self.staff: list[StaffRow] = []

    def error(self, source: str, row: int | None, reason: str, /, **params: Any) -> None:
        self.errors.append(RowError(source, row, reason, {k: str(v) for k, v in params.items()}))

    def table(self, table: _Table) -> None:
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
                "a staff file a 角色/role column"
            ),
        )

    def _rows(
        self,
        table: _Table,
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
            values = {k: _cell(raw[i]) if i < len(raw) else "" for k, i in seen.items()}
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
        if ok:
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
                )
            )

    def _staff(self, source: str, row: int, values: dict[str, str], raw: dict[str, Any]) -> None:
        required = [k for k in STAFF_COLUMNS if k not in STAFF_OPTIONAL]
        ok = self._required(source, row, values, required, STAFF_COLUMNS)
        role = Role.HELPER
        if values["role"]:
            try:
                role = parse_role(values["role"])
            except ValueError:
                self.error(
                    source,
                    row,
                    N_(
                        "unknown 角色 {value} (use 帮扶责任人, 村干部, 镇街干部, "
                        "helper, village_head or township_staff)"
                    ),
                    value=values["role"],
                )
                ok = False
        phone = ""
        if values["phone"]:
            try:
                phone = normalize_mobile(values["phone"])
            except InvalidPhone:
                self.error(
                    source,
                    row,
                    N_("电话 {value} is not a mainland mobile number"),
                    value=values["phone"],
                )
                ok = False
        village = values.get("village") or None
        if ok and role is Role.VILLAGE_HEAD and not village:
            self.error(source, row, N_("a village head needs a 村/village"))
            ok = False
        if ok and role is Role.TOWNSHIP_STAFF and village:
            self.error(source, row, N_("township staff have no 村/village; leave it empty"))
            ok = False
        if ok:
            self.staff.append(
                StaffRow(source, row, values["name"], phone, role, values["township"], village)
            )

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


def read_roster(paths: Sequence[Path]) -> tuple[list[HouseholdRow], list[StaffRow], _Validator]:
    validator = _Validator()
    for path in paths:
        if not path.exists():
            validator.error(path.name, None, N_("file not found: {path}"), path=str(path))
            continue
        suffix = path.suffix.lower()
        try:
            if suffix == ".csv":
                tables = list(_read_csv(path))
            elif suffix in (".xlsx", ".xlsm"):
                tables = list(_read_xlsx(path))
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


# ----------------------------------------------------------------------------- writing


def import_roster(
    session: Session, paths: Sequence[Path], *, now: datetime, actor: str
) -> ImportResult:
    """Validate all files, then write everything or raise RosterError and write nothing.

    The caller owns the transaction; on RosterError it must roll back (nothing was flushed
    before validation finished, but a rollback is always right).
    """
    people, households = People(session), Households(session)
    household_rows, staff_rows, validator = read_roster(paths)
    validator.cross_check(people, households)  # on the rows that passed, so all is reported
    if validator.errors:
        raise RosterError(validator.errors)

    result = ImportResult()
    places, audit = Places(session), Audit(session)

    def place(township_name: str, village_name: str | None) -> tuple[int, int | None]:
        township = places.ensure_township(township_name, now=now, actor=actor)
        if village_name is None:
            return township.id, None
        return township.id, places.ensure_village(township, village_name, now=now, actor=actor).id

    for s in staff_rows:
        township_id, village_id = place(s.township, s.village)
        person = people.by_phone(s.phone)
        if person is None:
            session.add(_new_person(s.name, s.phone, s.role, township_id, village_id, now))
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="person",
                key=s.phone,
                new=f"{s.name} {s.role}",
            )
            result.people_created += 1
        elif audit.update_fields(
            person,
            {
                "name": s.name,
                "role": s.role.value,
                "township_id": township_id,
                "village_id": village_id,
            },
            now=now,
            actor=actor,
            entity="person",
            key=s.phone,
        ):
            result.people_updated += 1
        else:
            result.people_unchanged += 1
    session.flush()

    for h in household_rows:
        township_id, village_id = place(h.township, h.village)
        assert village_id is not None
        helper = people.by_phone(h.helper_phone)
        if helper is None:
            helper = _new_person(
                h.helper_name, h.helper_phone, Role.HELPER, township_id, village_id, now
            )
            session.add(helper)
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="person",
                key=h.helper_phone,
                new=f"{h.helper_name} {Role.HELPER}",
            )
            result.people_created += 1
        household = households.by_number(h.number)
        fields: dict[str, Any] = {
            "village_id": village_id,
            "head_name": h.head_name,
            "members": h.members,
            "category": h.category.value,
            "last_year_income_per_capita": h.income,
        }
        if h.id_number is not None:  # an empty cell keeps a stored ID number
            fields["id_number"] = h.id_number
        if household is None:
            household = Household(
                number=h.number,
                status=HouseholdStatus.MONITORED.value,
                created_at=now,
                updated_at=now,
                **{"id_number": None, **fields},
            )
            session.add(household)
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="household",
                key=h.number,
                new=h.head_name,
            )
            result.households_created += 1
        elif audit.update_fields(
            household, fields, now=now, actor=actor, entity="household", key=h.number
        ):
            result.households_updated += 1
        else:
            result.households_unchanged += 1
        session.flush()
        if households.assign_helper(household, helper, now=now, actor=actor):
            result.assignments_changed += 1

    if household_rows:
        in_files = {h.number for h in household_rows}
        result.households_not_in_files = [
            h.number for h in households.all() if h.number not in in_files
        ]
    session.flush()
    return result


def _new_person(
    name: str, phone: str, role: Role, township_id: int, village_id: int | None, now: datetime
) -> Person:
    return Person(
        name=name,
        phone=phone,
        role=role.value,
        township_id=township_id,
        village_id=village_id,
        created_at=now,
        updated_at=now,
    )
