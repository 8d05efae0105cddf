"""A province's year, generated in bulk: townships of 20 villages of 500 households, a helper
per 10 households, 52 weeks of check-ins (about 5 % missed), red warnings that open and close
as POLICY.md says (closed after two green check-ins in a row), measures, missed visits, and
bound village and township groups.

Rows are written with the database's own bulk path (executemany of plain tuples on SQLite,
COPY on PostgreSQL) into a schema made by the real migrations: the generated database is the
one the bot would have after a year, without a year of ORM calls."""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from monitoring.weeks import Week, week_of
from storage.migrate import upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")
# "Now" for every data-scale measurement: a Wednesday morning, so the current week is part
# done and last week has just ended (its missed visits not yet recorded: that is the job).
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
WEEKS = 52
VILLAGES_PER_TOWNSHIP = 20
HOUSEHOLDS_PER_VILLAGE = 500
HOUSEHOLDS_PER_HELPER = 10
CHUNK = 50_000

RED_REASONS = json.dumps([{"code": "guarantee_food", "level": "red", "numbers": {}}])
WATCH_REASONS = json.dumps(
    [
        {
            "code": "income_below_watch_line",
            "level": "watch",
            "numbers": {"per_capita": "7400.00", "line": "7500.00"},
        }
    ]
)


@dataclass(frozen=True)
class Shape:
    households: int
    per_helper: int = HOUSEHOLDS_PER_HELPER

    @property
    def townships(self) -> int:
        per = VILLAGES_PER_TOWNSHIP * HOUSEHOLDS_PER_VILLAGE
        return max(1, -(-self.households // per))

    @property
    def villages(self) -> int:
        return -(-self.households // HOUSEHOLDS_PER_VILLAGE)

    @property
    def helpers(self) -> int:
        return -(-self.households // self.per_helper)


@dataclass
class Generated:
    households: int
    rows: dict[str, int]
    seconds: float
    township_ids: list[int]
    staff_user_id: int  # township staff of the first township, linked to Telegram
    helper_telegram_base: int


def weeks_before(now: datetime, count: int) -> list[Week]:
    """The `count` weeks before the week of `now`, oldest first."""
    weeks = [week_of(now, SHANGHAI).previous()]
    while len(weeks) < count:
        weeks.append(weeks[-1].previous())
    return weeks[::-1]


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class _Writer:
    """Bulk inserts of plain tuples: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.counts: dict[str, int] = {}

    def value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return _sqlite_time(value) if self.sqlite else value
        if isinstance(value, date):
            return value.isoformat() if self.sqlite else value
        return value

    def write(self, raw: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]):
        if not rows:
            return
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            raw.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(self.value(v) for v in row) for row in rows],
            )
            return
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)


def generate(
    engine: Engine,
    households: int,
    *,
    households_per_helper: int = HOUSEHOLDS_PER_HELPER,
    history_weeks: int = WEEKS,
    current_week_share: float = 0.4,
    seed: int = 7,
) -> Generated:
    """Create the schema (the migrations) and fill it; the database must be empty.
    `history_weeks`: the weeks of check-ins before the current one; `current_week_share`: the
    share of households already visited in the current week."""
    started = time.perf_counter()
    upgrade(engine)
    shape = Shape(households, households_per_helper)
    rng = random.Random(seed)
    writer = _Writer(engine)
    weeks = weeks_before(NOW, history_weeks)
    current = week_of(NOW, SHANGHAI)
    last_week = weeks[-1]
    created = weeks[0].starts_at(SHANGHAI) - timedelta(days=30)
    helper_base = 10_000_000
    staff_base = 9_000_000

    raw_connection = engine.raw_connection()
    try:
        raw = raw_connection.driver_connection
        if writer.sqlite:
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-200000")
        w = writer.write

        w(
            raw,
            "townships",
            ("id", "name", "created_at", "updated_at"),
            [(t + 1, f"第{t + 1:02d}镇", created, created) for t in range(shape.townships)],
        )
        w(
            raw,
            "villages",
            ("id", "township_id", "name", "created_at", "updated_at"),
            [
                (
                    v + 1,
                    v // VILLAGES_PER_TOWNSHIP + 1,
                    f"{v % VILLAGES_PER_TOWNSHIP + 1:02d}村",
                    created,
                    created,
                )
                for v in range(shape.villages)
            ],
        )
        persons: list[tuple[Any, ...]] = []
        person_id = 0
        staff_ids: dict[int, int] = {}
        head_ids: dict[int, int] = {}
        for t in range(shape.townships):
            person_id += 1
            staff_ids[t + 1] = person_id
            persons.append(
                (
                    person_id,
                    f"镇干部{t + 1}",
                    f"+86187{t + 1:08d}",
                    "township_staff",
                    t + 1,
                    None,
                    staff_base + t + 1,
                    created,
                    created,
                    created,
                )
            )
        for v in range(shape.villages):
            person_id += 1
            head_ids[v + 1] = person_id
            persons.append(
                (
                    person_id,
                    f"村干部{v + 1}",
                    f"+86137{v + 1:08d}",
                    "village_head",
                    v // VILLAGES_PER_TOWNSHIP + 1,
                    v + 1,
                    None,
                    None,
                    created,
                    created,
                )
            )
        first_helper = person_id + 1
        for h in range(shape.helpers):
            person_id += 1
            village = (h * households_per_helper) // HOUSEHOLDS_PER_VILLAGE + 1
            persons.append(
                (
                    person_id,
                    f"帮扶人{h + 1}",
                    f"+86139{h + 1:08d}",
                    "helper",
                    (village - 1) // VILLAGES_PER_TOWNSHIP + 1,
                    None,
                    helper_base + h + 1,
                    created,
                    created,
                    created,
                )
            )
        w(
            raw,
            "persons",
            (
                "id",
                "name",
                "phone",
                "role",
                "township_id",
                "village_id",
                "platform_user_id",
                "linked_at",
                "created_at",
                "updated_at",
            ),
            persons,
        )
        bindings = []
        for t in range(shape.townships):
            bindings.append(
                (
                    len(bindings) + 1,
                    -(5_000_000 + t + 1),
                    f"第{t + 1:02d}镇群",
                    t + 1,
                    None,
                    "active",
                    staff_ids[t + 1],
                    created,
                )
            )
        for v in range(shape.villages):
            bindings.append(
                (
                    len(bindings) + 1,
                    -(6_000_000 + v + 1),
                    f"{v + 1}村群",
                    v // VILLAGES_PER_TOWNSHIP + 1,
                    v + 1,
                    "active",
                    staff_ids[v // VILLAGES_PER_TOWNSHIP + 1],
                    created,
                )
            )
        w(
            raw,
            "group_bindings",
            (
                "id",
                "chat_id",
                "title",
                "township_id",
                "village_id",
                "status",
                "bound_by",
                "bound_at",
            ),
            bindings,
        )

        checkin_cols = (
            "id",
            "household_id",
            "week",
            "helper_id",
            "entered_by",
            "entered_at",
            "visit_method",
            "members",
            "income_changed",
            "expected_income",
            "expenses",
            "expense_total",
            "food_ok",
            "clothing_ok",
            "education_ok",
            "medical_ok",
            "housing_ok",
            "water_ok",
            "note",
            "photo_file_id",
            "level",
            "reasons",
            "per_capita_income",
            "policy_year",
            "is_current",
        )
        alert_cols = (
            "id",
            "household_id",
            "checkin_id",
            "opened_at",
            "red_codes",
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "closed_at",
            "closed_by",
            "close_reason",
        )
        measure_cols = (
            "id",
            "household_id",
            "alert_id",
            "kind",
            "responsible",
            "note",
            "taken_on",
            "recorded_by",
            "recorded_at",
            "status",
        )
        missed_cols = ("id", "household_id", "week", "helper_id", "recorded_at")
        week_names = [str(week) for week in weeks]
        mondays = [week.starts_at(SHANGHAI) for week in weeks]
        current_monday = current.starts_at(SHANGHAI)
        true, false = (1, 0) if writer.sqlite else (True, False)
        empty = "[]"
        red_codes = json.dumps(["guarantee_food"])

        households_rows: list[tuple[Any, ...]] = []
        assignments: list[tuple[Any, ...]] = []
        checkins: list[tuple[Any, ...]] = []
        alerts: list[tuple[Any, ...]] = []
        measures: list[tuple[Any, ...]] = []
        missed: list[tuple[Any, ...]] = []
        ids = {"checkin": 0, "alert": 0, "measure": 0, "missed": 0}

        def flush(final: bool = False) -> None:
            for table, cols, rows in (
                ("households", HOUSEHOLD_COLS, households_rows),
                ("helper_assignments", ("household_id", "helper_id", "assigned_at"), assignments),
                ("checkins", checkin_cols, checkins),
                ("alerts", alert_cols, alerts),
                ("measures", measure_cols, measures),
                ("missed_visits", missed_cols, missed),
            ):
                if final or len(rows) >= CHUNK or table in ("households", "helper_assignments"):
                    w(raw, table, cols, rows)
                    rows.clear()

        for index in range(households):
            hid = index + 1
            village = index // HOUSEHOLDS_PER_VILLAGE + 1
            helper = first_helper + index // households_per_helper
            head = head_ids[village]
            members = rng.randint(1, 6)
            fragile = rng.random() < 0.1
            households_rows.append(
                (
                    hid,
                    f"H{hid:07d}",
                    village,
                    f"户主{hid}",
                    f"5001181990{hid % 100000000:08d}",
                    members,
                    "unstable" if fragile else "marginal",
                    9000,
                    "monitored",
                    created,
                    created,
                )
            )
            assignments.append((hid, helper, created))
            open_alert: list[Any] | None = None
            greens = 0
            for k, week_name in enumerate(week_names):
                if rng.random() < 0.05:  # not visited this week
                    if weeks[k] != last_week:  # last week's are the job's to record
                        ids["missed"] += 1
                        missed.append(
                            (
                                ids["missed"],
                                hid,
                                week_name,
                                helper,
                                mondays[k] + timedelta(days=7, minutes=30),
                            )
                        )
                    continue
                entered = mondays[k] + timedelta(
                    days=rng.randint(0, 6), hours=8 + rng.randint(0, 10), minutes=rng.randint(0, 59)
                )
                roll = rng.random()
                if fragile and roll < 0.05:
                    level, reasons, food = "red", RED_REASONS, false
                elif (fragile and roll < 0.25) or roll < 0.02:
                    level, reasons, food = "watch", WATCH_REASONS, true
                else:
                    level, reasons, food = "green", empty, true
                ids["checkin"] += 1
                checkins.append(
                    (
                        ids["checkin"],
                        hid,
                        week_name,
                        helper,
                        helper,
                        entered,
                        "home",
                        members,
                        false,
                        9000 * members,
                        empty,
                        0,
                        food,
                        true,
                        None,
                        true,
                        true,
                        true,
                        None,
                        None,
                        level,
                        reasons,
                        9000,
                        2026,
                        true,
                    )
                )
                if level == "red" and open_alert is None:
                    ids["alert"] += 1
                    acknowledged = rng.random() < 0.8
                    open_alert = [
                        ids["alert"],
                        hid,
                        ids["checkin"],
                        entered,
                        red_codes,
                        "open",
                        head if acknowledged else None,
                        entered + timedelta(hours=3) if acknowledged else None,
                        None,
                        None,
                        None,
                    ]
                    alerts.append(open_alert)  # closed in place below when it turns green
                    greens = 0
                    if rng.random() < 0.7:
                        ids["measure"] += 1
                        measures.append(
                            (
                                ids["measure"],
                                hid,
                                ids["alert"],
                                "medical_aid",
                                "村卫生室",
                                None,
                                (entered + timedelta(days=1)).date(),
                                head,
                                entered + timedelta(days=1),
                                "done",
                            )
                        )
                elif level == "green" and open_alert is not None:
                    greens += 1
                    if greens >= 2:
                        open_alert[5] = "closed"
                        open_alert[8] = entered
                        open_alert[10] = "green"
                        open_alert = None
                elif level != "green":
                    greens = 0
            # Some are visited already this week (it is Wednesday).
            if rng.random() < current_week_share:
                entered = current_monday + timedelta(days=rng.randint(0, 1), hours=9)
                ids["checkin"] += 1
                checkins.append(
                    (
                        ids["checkin"],
                        hid,
                        str(current),
                        helper,
                        helper,
                        entered,
                        "phone",
                        members,
                        false,
                        9000 * members,
                        empty,
                        0,
                        true,
                        true,
                        None,
                        true,
                        true,
                        true,
                        None,
                        None,
                        "green",
                        empty,
                        9000,
                        2026,
                        true,
                    )
                )
            if len(households_rows) >= 5000:  # between households: their alerts are final
                flush()
        flush(final=True)
        if not writer.sqlite:  # ids were given: move the sequences past them
            for table in (
                "townships",
                "villages",
                "persons",
                "group_bindings",
                "households",
                "checkins",
                "alerts",
                "measures",
                "missed_visits",
            ):
                raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        raw_connection.commit()
    finally:
        raw_connection.close()
    if not writer.sqlite:  # the server's autovacuum would have vacuumed and analyzed the
        # inserted rows (PostgreSQL 13 on): statistics, and the visibility map that lets an
        # index answer alone (an index-only scan)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            # and written the pages out long ago: no checkpoint of 1 GB during a timing (a
            # user that may not ask for one leaves it to the server)
            with contextlib.suppress(DBAPIError):
                connection.execute(text("CHECKPOINT"))
    return Generated(
        households=households,
        rows=dict(writer.counts),
        seconds=time.perf_counter() - started,
        township_ids=list(range(1, shape.townships + 1)),
        staff_user_id=staff_base + 1,
        helper_telegram_base=helper_base,
    )


HOUSEHOLD_COLS = (
    "id",
    "number",
    "village_id",
    "head_name",
    "id_number",
    "members",
    "category",
    "last_year_income_per_capita",
    "status",
    "created_at",
    "updated_at",
)
