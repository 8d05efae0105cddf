"""The sandbox page: the bot as three chats in a browser, without Telegram.

Served by the stand-in itself (same port), on 127.0.0.1 only. The page is one HTML file with
a little JavaScript that talks to the stand-in's control API (`/sandbox/...`): it long-polls
`/sandbox/events` and redraws a helper's (or anyone's) private chat, the village group and the
township group; buttons press inline keyboards, the text box sends messages, "share my phone
number" sends a contact. `/page/config` says who can be chosen (the sample roster) and which
groups exist; `/page/job` runs a scheduled job as of a chosen time with the same command as
`fangfanpin jobs run NAME --at`, in a subprocess against the sandbox database.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from monitoring.i18n import N_, SUPPORTED_LOCALES, Translations, Translator, parse_locale
from monitoring.people import Role, parse_role

PAGE = Path(__file__).with_name("page.html")
# The jobs the clock control runs, as the page names them.
JOBS = {
    "reminders": N_("Check-in reminders"),
    "missed-visits": N_("Missed visits of last week"),
    "escalations": N_("Reminders of unacknowledged warnings and late proposals"),
    "weekly-summary": N_("Monday summary to the township group"),
    "measure-reminders": N_("Help measures due soon or overdue, and new households' plans"),
}
JOB_NAMES = tuple(JOBS)
DELIVERY_WAIT = 15.0  # seconds the page waits for the running bot to deliver a job's messages
FIRST_USER_ID = 7001

LABELS = {
    "title": N_("fangfanpin sandbox: the bot without Telegram"),
    "title_dingtalk": N_("fangfanpin sandbox: the bot without DingTalk"),
    "act_as": N_("You are"),
    "private": N_("Private chat with the bot"),
    "send": N_("Send"),
    "type_here": N_("Type a message or a command, e.g. /start"),
    "share_phone": N_("📱 Share my phone number"),
    "send_photo": N_("📷 Send a photo"),
    "clock": N_("Clock: run a scheduled job as of"),
    "run": N_("Run"),
    "download": N_("Download"),
    "bot": N_("Bot"),
    "no_messages": N_("No messages yet."),
    "helper": N_("helper"),
    "village_head": N_("village head"),
    "township_staff": N_("township staff"),
    "county_staff": N_("county staff"),
    "unit_staff": N_("unit staff"),
    "tab_private": N_("My chat"),
    "enlarge": N_("Tap to enlarge"),
    "hint": N_(
        "Choose who you are, send /start in the private chat and share the phone number; "
        "helpers then send /checkin. Red warnings appear in the village and township groups."
    ),
    "hint_dingtalk": N_(
        "DingTalk: choose who you are and send any message in the private chat: the bot "
        "finds you by your DingTalk mobile number. Buttons come as cards."
    ),
}


@dataclass(frozen=True)
class PagePerson:
    user_id: int
    name: str
    role: str
    phone: str  # as Telegram sends it: digits with the country code, no +
    village: str
    unit: str = ""  # unit staff's unit (镇民政办 …)


@dataclass(frozen=True)
class PageGroup:
    chat_id: int
    title: str


def people_from_roster(staff_csv: Path) -> list[PagePerson]:
    """The sample roster's people, helpers first, each with a fixed Telegram user id."""
    with staff_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    people = []
    for index, row in enumerate(rows):
        role = parse_role(row["角色"])
        people.append(
            PagePerson(
                FIRST_USER_ID + index,
                row["姓名"],
                role.value,
                "86" + row["电话"],
                row["村"] or "",
                row.get("单位") or "",
            )
        )
    order = [r.value for r in Role]
    return sorted(people, key=lambda p: (order.index(p.role), p.user_id))


class SandboxPage:
    def __init__(
        self,
        people: list[PagePerson],
        groups: list[PageGroup],
        *,
        job_env: Mapping[str, str],
        translations: Translations,
        tz: ZoneInfo | None = None,
        job_timeout: float = 120.0,
        job_command: tuple[str, ...] = (sys.executable, "-m", "bot", "jobs", "run"),
        events: Callable[[], Sequence[Mapping[str, Any]]] = tuple,
        platform: str = "telegram",
    ) -> None:
        """`translations`: the bot's catalogs (the page's labels are in them too); `events`:
        the stand-in's event log, to count what a job's messages delivered."""
        self.people, self.groups = people, groups
        self.job_env = dict(job_env)
        self.default_locale = translations.default_locale
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self.translations = translations
        self.job_timeout = job_timeout
        self.job_command = job_command  # + NAME --at WHEN
        self.events = events
        self.platform = platform  # "dingtalk": the same page over the DingTalk stand-in
        self._job_lock = asyncio.Lock()  # one job at a time
        self._queued = _queued_pattern(translations.get(self.default_locale))

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.index),
            web.get("/page/config", self.config),
            web.post("/page/job", self.job),
        ]

    def _locale(self, request: web.Request) -> str:
        wanted = request.query.get("lang")
        if wanted:
            try:
                return parse_locale(wanted)
            except ValueError:
                pass
        return self.default_locale

    async def index(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        t = self.translations.get(locale)
        labels = {key: t._(msgid) for key, msgid in LABELS.items()}
        other = next(loc for loc in SUPPORTED_LOCALES if loc != locale)
        config = {
            "labels": labels,
            "locale": locale,
            "other_locale": other,
            "other_name": {"zh_CN": "中文", "en": "English"}[other],
            "people": [asdict(p) for p in self.people],
            "groups": [asdict(g) for g in self.groups],
            "jobs": [[name, t._(label)] for name, label in JOBS.items()],
            "default_locale": self.default_locale,
            "platform": self.platform,
            # The clock control's default: now, on the township's clock (as `--at` reads it).
            "now": datetime.now(self.tz).strftime("%Y-%m-%dT%H:%M"),
        }
        if self.platform == "dingtalk":  # no Telegram here, and no phone number to share
            labels["title"] = labels.pop("title_dingtalk")
        else:
            labels.pop("title_dingtalk")
        html = PAGE.read_text(encoding="utf-8")
        html = html.replace("__TITLE__", labels["title"]).replace(
            "__LANG__", locale.replace("_", "-")
        )
        # "</" can not end the script element early once escaped.
        html = html.replace(
            "__CONFIG__", json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"people": [asdict(p) for p in self.people], "groups": [asdict(g) for g in self.groups]}
        )

    async def job(self, request: web.Request) -> web.Response:
        """Run `fangfanpin jobs run NAME --at AT` against the sandbox; answer with its output."""
        try:
            body = await request.json()
            name = str(body["name"])
            at = datetime.fromisoformat(str(body["at"]))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            return web.json_response({"ok": False, "output": "bad request"}, status=400)
        if name not in JOB_NAMES:
            return web.json_response({"ok": False, "output": f"unknown job {name}"}, status=400)
        t = self.translations.get(str(body.get("lang") or self.default_locale))
        if self._job_lock.locked():
            return web.json_response({"ok": False, "output": "another job is running"}, status=409)
        async with self._job_lock:
            return await self._run_job(name, at, t)

    async def _run_job(self, name: str, at: datetime, t: Translator) -> web.Response:
        before = len(self.events())
        process = await asyncio.create_subprocess_exec(
            *self.job_command,
            name,
            "--at",
            at.isoformat(timespec="minutes"),
            # The township's language (the messages it sends speak it); its output is read
            # in it below.
            env={**os.environ, **self.job_env, "FANGFANPIN_LOCALE": self.default_locale},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=self.job_timeout)
        except TimeoutError:
            process.kill()  # never left running behind the page
            await process.wait()
            return web.json_response(
                {"ok": False, "output": f"{name} did not finish in {self.job_timeout:.0f} s"},
                status=504,
            )
        text = output.decode("utf-8", "replace").strip().splitlines()
        last = text[-1] if text else ""
        found = self._queued.search(last)
        if process.returncode != 0 or found is None:
            return web.json_response({"ok": False, "output": last})
        queued = int(found.group(1))
        delivered = await self._delivered(before, queued)
        report = t._("{job}: {queued} message(s) queued, {delivered} delivered.").format(
            job=t._(JOBS[name]), queued=queued, delivered=delivered
        )
        if delivered < queued:
            report += " " + t._("The rest is still being sent.")
        return web.json_response({"ok": True, "output": report})

    async def _delivered(self, before: int, queued: int) -> int:
        """Messages the bot sent since event `before`: waited for until there are `queued`
        (or DELIVERY_WAIT has passed: a group's messages are paced at 20 a minute)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DELIVERY_WAIT
        while True:
            sent = sum(1 for e in list(self.events())[before:] if e.get("kind") == "message")
            if sent >= queued or loop.time() > deadline:
                return sent
            await asyncio.sleep(0.2)


# The last line `fangfanpin jobs run` prints (bot/cli.py), in the language it runs in.
JOB_DONE = N_("{job} at {at}: {queued} message(s) queued, {sent} sent.")


def _queued_pattern(t: Translator) -> re.Pattern[str]:
    """JOB_DONE in `t`'s language as a pattern whose first group is the number queued."""
    parts = re.split(r"(\{\w+\})", t._(JOB_DONE))  # text, {field}, text, {field}, ...
    fields = {"{queued}": r"(\d+)", "{sent}": r"\d+"}
    return re.compile(
        "".join(fields.get(p, ".*?") if i % 2 else re.escape(p) for i, p in enumerate(parts))
    )
