"""Access control, table-driven: every command and button x role x chat, with the expected
outcome; a helper never sees another helper's household; forged buttons are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.bindings import Bindings
from storage.models import Alert, Draft, GroupBinding, Household, Person, Village
from storage.roster import import_roster
from tests.conftest import EXAMPLES
from tests.driver import Chat, outbox_settled, register
from tests.small_town import at, green_checkin

PEOPLE = {
    "helper": (951, "李建国", "+8613800138001"),  # helper of LX01001, 青山村
    "head": (952, "张卫东", "+8613700137001"),  # village head, 青山村
    "other_head": (953, "黄春燕", "+8613700137002"),  # village head, 石桥村
    "staff": (954, "杨振华", "+8618700187001"),  # township staff, 龙溪镇
    "other_staff": (955, "钱镇长", "+8618700187009"),  # township staff, 凤凰镇
}
STRANGER = 956
BOUND, UNBOUND = -500111, -500222  # 青山村's group; a group nobody bound

ROLES = ("helper", "head", "other_head", "other_staff", "stranger", "staff")  # staff last:
# its /unbind (the last command) really unbinds the group.
CHATS = ("private", "bound", "unbound")
TOWN = {"head": "青山村", "other_head": "石桥村", "staff": "龙溪镇", "other_staff": "凤凰镇"}
NOT_REGISTERED = "您还未登记"


def expected(role: str, where: str, command: str) -> str:
    """What the reply must contain: the rule of who may do what, where."""
    name = command.split()[0].lstrip("/")
    private = where == "private"
    registered = role != "stranger"
    staff = role in ("staff", "other_staff")
    head = role in ("head", "other_head")
    in_private = f"请在与我的私聊中发送 /{name}"
    if name in ("checkin", "mine", "cancel", "history") and not private:
        return in_private
    if name in ("checkin", "mine", "cancel", "history") and not registered:
        return NOT_REGISTERED
    if name == "checkin":  # any role may be on a household's help team (帮扶小组)
        return "请选择要走访的农户" if role == "helper" else "您不在任何农户的帮扶小组中"
    if name == "mine":
        return "您负责的农户" if role == "helper" else "没有分配给您的防止返贫致贫对象"
    if name == "cancel":
        return "没有可取消的内容"
    if name == "history":
        number = command.split()[1]
        own = {"LX01001": ("helper", "head", "staff"), "LX01002": ("head", "staff")}[number]
        return f"{number} " if role in own else "没有您可以查看的"
    if name == "summary":
        if role == "helper":
            return "您负责的农户" if private else "请在与我的私聊中发送 /mine"
        if role not in TOWN:
            return "仅供乡镇干部和村干部"
        if private or (where == "bound" and role == "head"):  # the bound group is 青山村's
            return f"{TOWN[role]} 第49周（11月30日—12月6日）"
        return "只在您本村或本镇绑定的工作群中回答"
    if name == "export":
        if role not in TOWN:
            return "仅供乡镇干部和村干部"
        return f"正在生成{TOWN[role]}" if private else "生成后通过私聊发送给您"
    if name in ("bind", "unbind") and private:
        return f"/{name} 需在群里发送"
    if name == "bind":
        if not staff:
            return "只有乡镇干部可以绑定群"
        if role == "other_staff" and where == "bound":
            return "只有该乡镇的干部可以更改"
        return "这是哪个单位的群"
    if name == "unbind":
        if not staff:
            return "只有乡镇干部可以解除绑定"
        if where == "unbound":
            return "本群尚未绑定"
        return "只有该乡镇的干部可以更改" if role == "other_staff" else "本群已不再是"
    if name == "resolve":
        if not staff:
            return "只有乡镇干部可以解除红色预警"
        return "没有未解除的红色预警" if role == "staff" else "本镇没有户编号为 LX01001 的农户"
    if name == "propose":
        if role == "helper" or head:
            return "农户属于哪个村" if private else in_private
        return "仅供帮扶责任人和村干部"
    if name == "proposals":
        if not registered:
            return "请先登记"
        return "没有等待您处理的申请" if private else in_private
    if name in ("eliminate", "reinstate"):
        if not staff:
            return "仅供乡镇干部使用"
        if not private:
            return in_private
        if role == "other_staff":
            return "本镇没有户编号为 LX01001"
        return "风险消除条件核查" if name == "eliminate" else "未被标注风险消除"
    raise AssertionError(command)


COMMANDS = [
    "/checkin",
    "/mine",
    "/cancel",
    "/history LX01001",
    "/history LX01002",  # 王秀英's household, not 李建国's
    "/summary",
    "/export",
    "/bind",
    "/resolve LX01001",
    "/propose",
    "/proposals",
    "/eliminate LX01001",
    "/reinstate LX01001 原因",
    "/unbind",
]


@pytest.fixture
def roster(session_factory: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    other = tmp_path / "other.csv"
    other.write_text(
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
        "凤凰镇,凤凰村,FH001,周大福,,3,脱贫不稳定户,7000,吴帮扶,13900000001\n",
        encoding="utf-8",
    )
    staff = tmp_path / "other_staff.csv"
    staff.write_text(
        "姓名,电话,角色,乡镇,村\n钱镇长,18700187009,乡镇干部,凤凰镇,\n", encoding="utf-8"
    )
    with session_factory() as s, s.begin():
        import_roster(
            s,
            [*sorted(EXAMPLES.glob("*.csv")), other, staff],
            now=at("2026-10-01T08:00"),
            actor="test",
        )
    return session_factory


@pytest.fixture
async def chats(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> dict[str, int]:
    bot.bot_data.services.clock = lambda: at("2026-12-01T10:00")
    ids = {}
    for role, who in PEOPLE.items():
        await register(client, *who)
        ids[role] = who[0]
    await client.user(STRANGER, "路人")
    ids["stranger"] = STRANGER
    return ids


async def groups_for(
    index: int, client: SandboxClient, roster: sessionmaker[Session]
) -> dict[str, int | None]:
    """A bound (青山村's) and an unbound group for one role: Telegram lets a bot post 20
    messages a minute in a group, and the rate limiter keeps to it; a role's rows fit."""
    bound, unbound = BOUND - 1000 * index, UNBOUND - 1000 * index
    for chat_id, title in ((bound, "青山村工作群"), (unbound, "闲聊群")):
        await client.create_group(chat_id, title)
        seq = await client.last_seq()
        await client.bot_membership(chat_id, by_user_id=PEOPLE["staff"][0])
        await client.wait_bot_messages(chat_id, after=seq)  # the greeting
    with roster() as s, s.begin():
        staff = s.scalars(select(Person).where(Person.name == "杨振华")).one()
        village = s.scalars(select(Village).where(Village.name == "青山村")).one()
        Bindings(s).bind(
            chat_id=bound,
            title="青山村工作群",
            township_id=staff.township_id,
            village_id=village.id,
            by=staff,
            now=at("2026-10-01T08:00"),
        )
    return {"private": None, "bound": bound, "unbound": unbound}


async def outcome(client: SandboxClient, user: int, chat: int | None, text: str) -> str:
    """Everything the bot answered to one command: messages in that chat and privately,
    toasts; waited for by the update's confirmation, not by a fixed delay."""
    seq = await client.last_seq()
    sent = await client.send_text(user, text, chat_id=chat)
    await client.handled(int(sent["update_id"]), after=seq)
    parts = []
    for event in await client.events(after=seq, kinds="message"):
        if event["chat_id"] not in (chat or user, user):
            continue
        message = await client.message(event["chat_id"], event["message_id"])
        if message.get("from", {}).get("is_bot"):
            where = "" if event["chat_id"] == (chat or user) else "[private] "
            body = message.get("text") or message.get("caption") or ""
            if "document" in message:
                body = "<document> " + body
            if "photo" in message:
                body = "<photo> " + body
            parts.append(where + body.splitlines()[0][:60])
    return " | ".join(parts) or "<none>"


@pytest.mark.timeout(600)
async def test_every_command_for_every_role_in_every_chat(
    chats: dict[str, int], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    wrong = []
    for index, role in enumerate(ROLES):
        user = chats[role]
        places = await groups_for(index, client, roster)
        for where in CHATS:
            chat = places[where]
            for command in COMMANDS:
                got = await outcome(client, user, chat, command)
                want = expected(role, where, command)
                if want not in got:
                    wrong.append(f"{role} {where} {command}: want {want!r}, got {got!r}")
                if where == "private" and command in ("/checkin", "/propose"):
                    await outcome(client, user, chat, "/cancel")
                if command == "/export" and role in TOWN:  # the ledger comes afterwards
                    await _document_arrives(client, user)
    assert not wrong, "\n".join(wrong)


async def _document_arrives(client: SandboxClient, user: int) -> None:
    for _ in range(600):
        messages = await client.bot_messages(user)
        if messages and "document" in messages[-1]:
            return
        seq = await client.last_seq()
        await client.events(after=seq, chat_id=user, kinds="message", timeout=1.0)
    raise AssertionError("no ledger arrived")


async def toast(client: SandboxClient, user: int, chat: int, message_id: int, **press: Any) -> str:
    seq = await client.last_seq()
    await client.press(user, message_id, chat_id=chat, **press)
    answer = await client.wait_event(after=seq, kinds="callback_answer")
    return str(answer.get("text") or "")


async def test_buttons_are_refused_to_the_wrong_people(
    chats: dict[str, int], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    places = await groups_for(9, client, roster)
    group = places["bound"]
    assert group is not None
    seq = await client.last_seq()
    green_checkin(roster, "LX01001", at("2026-12-01T09:00"), food=False)  # red: food
    # The red warning is queued in the check-in's transaction; the worker posts it.
    [alert] = await client.wait_bot_messages(group, after=seq, timeout=30)
    assert "🔴" in alert["text"]
    # A press is checked against the warning's sent rows, marked in batches within a second.
    await outbox_settled(roster)

    # A stranger (not linked: perhaps a village head who never wrote to the bot) is told to
    # link first; the people the bot knows are told they have no right.
    said = await toast(client, chats["stranger"], group, alert["message_id"], text="✅ 确认收到")
    assert said.startswith("尚未关联您的账号") and "无权" not in said
    for role in ("helper", "other_head", "other_staff"):
        said = await toast(client, chats[role], group, alert["message_id"], text="✅ 确认收到")
        assert "无权操作" in said, (role, said)
    with roster() as s:
        assert s.scalars(select(Alert.acknowledged_by)).one() is None
    said = await toast(client, chats["head"], group, alert["message_id"], text="✅ 确认收到")
    assert "无权" not in said
    with roster() as s:
        head = s.scalars(select(Person.id).where(Person.name == "张卫东")).one()
        assert s.scalars(select(Alert.acknowledged_by)).one() == head

    # Forged data on one's own messages: another helper's household, another's decision,
    # the elimination of a household by a village head, the binding of a group of 龙溪镇 by
    # the staff of 凤凰镇.
    with roster() as s:
        other = s.scalars(select(Household.id).where(Household.number == "LX01002")).one()
        mine = s.scalars(select(Household.id).where(Household.number == "LX01001")).one()
        qingshan = s.scalars(select(Village.id).where(Village.name == "青山村")).one()
    helper = Chat(client, chats["helper"])
    await helper.send("/checkin")  # the list of the helper's own households, as buttons
    [last] = (await client.bot_messages(chats["helper"]))[-1:]
    seq = await client.last_seq()
    await client.press(
        chats["helper"],
        last["message_id"],
        chat_id=chats["helper"],
        data=f"ci:hh:{other}",
        forge=True,
    )
    refused = await client.reply(chats["helper"], after=seq)
    assert "该户不是您负责的农户" in refused["text"] and "马春花" not in refused["text"]
    said = await toast(
        client,
        chats["helper"],
        chats["helper"],
        last["message_id"],
        data="pd:ok:1:village",
        forge=True,
    )
    # a decision button on a message without decisions: refused before any look-up
    assert "不能在这里使用" in said  # (wrong people on a real one: test_e2e_proposals)
    head = Chat(client, chats["head"])
    await head.send("/mine")
    [last] = (await client.bot_messages(chats["head"]))[-1:]
    said = await toast(
        client, chats["head"], chats["head"], last["message_id"], data=f"el:ok:{mine}", forge=True
    )
    assert "不能在这里使用" in said  # (the role check on a real one: test_e2e_proposals)
    said = await toast(
        client,
        chats["other_staff"],
        group,
        alert["message_id"],
        data=f"gb:v:{qingshan}",
        forge=True,
    )
    assert said
    with roster() as s:
        binding = s.scalars(
            select(GroupBinding).where(
                GroupBinding.chat_id == group, GroupBinding.status == "active"
            )
        ).one()
        staff = s.scalars(select(Person).where(Person.name == "杨振华")).one()
        assert binding.township_id == staff.township_id
        assert s.scalars(select(Household.status).where(Household.id == mine)).one() == "monitored"


BUTTON_SAMPLES = (
    "ci:hh:{mine}",
    "ci:hh:999999",
    "ci:sum",
    "ci:ok",
    "ci:cx:1",
    "ci:e:food",
    "ms:k:relief",
    "ms:d:7",
    "pp:c:unstable",
    "pp:ok",
    "pd:ok:1:village",
    "pd:h:1:1",
    "el:lab:{mine}:1",
    "el:ok:{mine}",
    "gb:t",
    "gb:v:{qingshan}",
    "al:ack:{alert}",
    "al:m:{alert}",
)
BUTTON_PLACES = {
    "ci": "private",
    "ms": "private",
    "pp": "private",
    "pd": "private",
    "el": "private",
}


@pytest.mark.timeout(600)
async def test_every_button_prefix_in_every_chat_kind_as_every_role(
    chats: dict[str, int], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    """Forged data pressed anywhere: a button outside the chats it belongs in is refused with
    a toast and changes nothing; no press ever makes the bot write in a group, except the
    warning's own buttons, on the warning, by the people allowed."""
    places = await groups_for(20, client, roster)
    bound, unbound = places["bound"], places["unbound"]
    assert bound is not None and unbound is not None
    seq = await client.last_seq()
    green_checkin(roster, "LX01001", at("2026-12-01T09:00"), food=False)  # red: food
    [warning] = await client.wait_bot_messages(bound, after=seq, timeout=30)
    with roster() as s:
        ids = {
            "mine": s.scalars(select(Household.id).where(Household.number == "LX01001")).one(),
            "qingshan": s.scalars(select(Village.id).where(Village.name == "青山村")).one(),
            "alert": s.scalars(select(Alert.id)).one(),
        }
    greeting = (await client.bot_messages(unbound))[-1]
    wrong = []
    for role in ("stranger", "helper", "other_head", "other_staff", "head", "staff"):
        user = chats[role]
        for where, chat in (("private", user), ("bound", bound), ("unbound", unbound)):
            for sample in BUTTON_SAMPLES:
                data = sample.format(**ids)
                prefix = data.split(":")[0]
                belongs = BUTTON_PLACES.get(prefix, "group")
                if where == "private":
                    target = (await client.bot_messages(user) or [None])[-1]
                    if target is None:
                        target = await Chat(client, user).send("/help")
                else:
                    target = warning if where == "bound" else greeting
                seq = await client.last_seq()
                sent = await client.press(
                    user, target["message_id"], chat_id=chat, data=data, forge=True
                )
                await client.handled(int(sent["update_id"]), after=seq)
                events = await client.events(after=seq)
                answers = [e for e in events if e["kind"] == "callback_answer"]
                toast_text = str(answers[0].get("text") or "") if answers else ""
                in_groups = [
                    e
                    for e in events
                    if e["kind"] in ("message", "edit") and e.get("chat_id") in (bound, unbound)
                ]
                cell = f"{role} {where} {data}"
                misplaced = (belongs == "private") != (where == "private")
                if misplaced:
                    if "不能在这里使用" not in toast_text:
                        wrong.append(f"{cell}: toast {toast_text!r}")
                    if [e for e in events if e["kind"] in ("message", "edit")]:
                        wrong.append(f"{cell}: the bot wrote {events}")
                legit_ack = (
                    data.startswith("al:ack") and where == "bound" and role in ("head", "staff")
                )
                if in_groups and not legit_ack:
                    wrong.append(f"{cell}: wrote in a group: {in_groups}")
                if prefix == "al" and where == "unbound" and "不能在这里使用" not in toast_text:
                    wrong.append(f"{cell}: a warning button on another message: {toast_text!r}")
                if where == "private" and data.startswith("ci:"):
                    await client.send_text(user, "/cancel")  # leave no flow open
    assert not wrong, "\n".join(wrong)
    with roster() as s:
        assert not s.scalars(select(GroupBinding).where(GroupBinding.chat_id > 0)).all()
        assert s.scalars(select(Household.status).where(Household.id == ids["mine"])).one() == (
            "monitored"
        )
        alert = s.scalars(select(Alert)).one()
        assert alert.status == "open"


async def test_an_eliminated_household_is_not_checked_in_and_resolve_says_one_thing(
    chats: dict[str, int], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    helper = Chat(client, chats["helper"])
    listing = await helper.send("/checkin")
    assert "请选择" in listing["text"]
    with roster() as s, s.begin():  # eliminated after the list was shown
        household = s.scalars(select(Household).where(Household.number == "LX01001")).one()
        household.status = "eliminated"
    reply = await helper.press("LX01001")
    assert "不再监测" in reply["text"]
    with roster() as s:
        assert not s.scalars(select(Draft)).all()
    # /resolve: another township's household and no household at all read the same.
    other = Chat(client, chats["other_staff"])
    for number in ("LX01001", "NOPE"):
        said = (await other.send(f"/resolve {number}"))["text"]
        assert said == f"本镇没有户编号为 {number} 的农户。"
