"""DingTalk's metered calls (`make bench`, part `dingtalk`): a week of a small township on
DingTalk, the bot in this process against the DingTalk stand-in, counting the calls DingTalk
meters (`sandbox/dingtalk/state.py`'s `metered`: not the access token, not the contacts
API, not a call refused by a rate limit) from the stand-in's log.

N helpers with a household each, in two villages with a group each, register (their first
message: the contacts API), get Thursday's reminder, and all but one in each village do the
weekly check-in of the Telegram bench's script (`sandbox/scripts.py`: twelve presses and a
typed note; every tenth ends red, and its warning goes to the village and township groups);
then the missed-visits and the weekly summary jobs run. Reported: calls per check-in (green;
red with its warning), the jobs' calls, and what a township of 300 households visited weekly
spends a month on DingTalk's standard plan (5,000 calls a month from 2025-11-19:
docs/dingtalk.md), taking a helper per 10 households and a village per 30."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select

from bench.common import fresh_sqlite
from bench.throughput import _roster
from bot.schedule import WakeSender, job_specs
from bot.settings import load_settings
from platforms.dingtalk.run import Running, running_dingtalk
from platforms.dingtalk.settings import load as load_dingtalk
from sandbox.dingtalk.scripted import ScriptedPerson
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import metered
from sandbox.scripts import quick_checkin
from storage.bindings import Bindings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Village
from storage.platform_ids import Kind, PlatformIds
from storage.repositories import People

HELPERS = 20
GROUPS = {"甲村": "cid-bench-jia", "乙村": "cid-bench-yi", None: "cid-bench-township"}
MONTHLY_QUOTA = 5_000  # standard plan, from 2025-11-19
HOUSEHOLDS = 300  # the township the README's figure is for
HOUSEHOLDS_PER_HELPER, HOUSEHOLDS_PER_VILLAGE = 10, 30
WEEKS_A_MONTH = 52 / 12
RED_SHARE = 0.1  # the script's mix: every tenth check-in red


def _prepare(url: str, directory: Path, helpers: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    from storage.roster import import_roster

    with make_session_factory(engine)() as s, s.begin():
        import_roster(s, _roster(directory, helpers), now=now, actor="bench")
        staff = People(s).by_phone("+8618700000001")
        assert staff is not None
        villages = {v.name: v.id for v in s.scalars(select(Village))}
        ids = PlatformIds(s)
        for name, cid in GROUPS.items():
            village_id = villages[name] if name else None
            Bindings(s).bind(
                chat_id=ids.number(Kind.GROUP, cid, now=now),
                title=cid,
                township_id=staff.township_id,
                village_id=village_id,
                by=staff,
                now=now,
            )
    engine.dispose()


def _spent(standin: DingTalkStandIn, since: int) -> int:
    return sum(1 for call in standin.state.calls[since:] if metered(call))


async def _settled(standin: DingTalkStandIn, running: Running) -> None:
    """Until the outbox has nothing left to send (its rows sent or failed)."""
    from storage.models import OutboxMessage

    for _ in range(600):
        rows = await running.services.tx(
            lambda s: s.scalars(
                select(OutboxMessage.id).where(OutboxMessage.status.in_(("pending", "sending")))
            ).all()
        )
        if not rows:
            return
        running.outbox.wake()
        await asyncio.sleep(0.05)
    raise RuntimeError("the outbox did not settle")


async def measure(directory: Path, helpers: int = HELPERS) -> dict[str, Any]:
    logging.getLogger("platforms").setLevel(logging.WARNING)
    url = fresh_sqlite(directory, "dingtalk-calls.db")
    _prepare(url, directory, helpers)
    standin = DingTalkStandIn()
    await standin.start()
    people = [f"bench-{i}" for i in range(helpers)]
    for i, userid in enumerate(people):
        mobile = f"1390001{i:04d}"
        standin.state.users[userid] = {"userid": userid, "name": f"帮扶{i}", "mobile": mobile}
    standin.state.users["bench-staff"] = {
        "userid": "bench-staff",
        "name": "镇干部",
        "mobile": "18700000001",
    }
    for cid in GROUPS.values():
        standin.state.groups[cid] = {"id": cid, "title": cid, "members": [*people], "robot": True}
    settings = load_settings(
        database_url=url,
        platform="dingtalk",
        _env_file=None,
    )
    engine = make_engine(url)
    clock = {"now": datetime(2026, 11, 26, 1, 0, tzinfo=UTC)}  # Thursday 09:00 in Shanghai
    results: dict[str, Any] = {"helpers": helpers}
    try:
        own = load_dingtalk(
            client_id=standin.state.client_id,
            client_secret=SecretStr(standin.state.client_secret),
            card_template="fangfanpin.buttons",
            api_url=standin.url,
            oapi_url=standin.url,
        )
        async with running_dingtalk(settings, own, engine, clock=lambda: clock["now"]) as running:
            for _ in range(400):
                if standin.connected:
                    break
                await asyncio.sleep(0.025)
            persons = [ScriptedPerson(standin, userid) for userid in people]
            await asyncio.gather(*(p.send("你好", "您已登记为") for p in persons))
            specs = job_specs(settings)
            sender = WakeSender(running.outbox.wake)

            mark = len(standin.state.calls)
            await specs["reminders"].run(clock["now"], running.services.tx, sender)
            await _settled(standin, running)
            results["reminders"] = _spent(standin, mark)

            missing = {helpers // 2 - 1, helpers - 1}  # one helper in each village
            green = [i for i in range(helpers) if i % 10 and i not in missing]
            red = [i for i in range(helpers) if not i % 10]
            mark = len(standin.state.calls)
            await asyncio.gather(*(persons[i].run(quick_checkin(i)) for i in green))
            results["green_checkins"] = len(green)
            results["calls_per_green_checkin"] = round(_spent(standin, mark) / len(green), 2)
            mark = len(standin.state.calls)
            await asyncio.gather(*(persons[i].run(quick_checkin(i)) for i in red))
            await _settled(standin, running)
            results["red_checkins"] = len(red)
            results["calls_per_red_checkin_with_warning"] = round(
                _spent(standin, mark) / len(red), 2
            )

            clock["now"] = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00
            for job in ("missed-visits", "weekly-summary"):
                mark = len(standin.state.calls)
                await specs[job].run(clock["now"], running.services.tx, sender)
                await _settled(standin, running)
                results[job] = _spent(standin, mark)
    finally:
        await standin.stop()
        engine.dispose()
    green, red = results["calls_per_green_checkin"], results["calls_per_red_checkin_with_warning"]
    per_checkin = (1 - RED_SHARE) * green + RED_SHARE * red
    # Reminders scale with the helpers, the missed-visit lists with the village groups (both
    # measured here per helper and per village group), the summary with the township.
    weekly_jobs = (
        results["reminders"] / helpers * HOUSEHOLDS / HOUSEHOLDS_PER_HELPER
        + results["missed-visits"] / 2 * HOUSEHOLDS / HOUSEHOLDS_PER_VILLAGE
        + results["weekly-summary"]
    )
    results["monthly_checkins"] = round(HOUSEHOLDS * WEEKS_A_MONTH * per_checkin)
    results["monthly_jobs"] = round(weekly_jobs * WEEKS_A_MONTH)
    results["monthly_quota"] = MONTHLY_QUOTA
    return results


def rows(r: dict[str, Any]) -> list[str]:
    total = r["monthly_checkins"] + r["monthly_jobs"]
    return [
        "| measure | metered calls | target |",
        "|---|---:|---|",
        f"| a green check-in ({r['green_checkins']} helpers) | {r['calls_per_green_checkin']} "
        f"| ≤ 3: {'ok' if r['calls_per_green_checkin'] <= 3 else 'MISS'} |",
        f"| a red check-in with its warning ({r['red_checkins']}) "
        f"| {r['calls_per_red_checkin_with_warning']} | |",
        f"| reminders, {r['helpers']} helpers | {r['reminders']} | |",
        f"| missed visits (2 village groups); weekly summary "
        f"| {r['missed-visits']}; {r['weekly-summary']} | |",
        f"| a month, 300 households weekly (10% red): check-ins; jobs "
        f"| {r['monthly_checkins']:,}; {r['monthly_jobs']:,} "
        f"| < {r['monthly_quota']:,}: {'ok' if total < r['monthly_quota'] else 'MISS'} |",
    ]
