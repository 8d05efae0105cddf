"""DingTalk's OpenAPI for the robot, with the project's async HTTP client (httpx): the
access token (kept until five minutes before it expires, fetched again after a 401), robot
messages to people and groups, interactive cards created and updated in place, a person's
mobile number from the contacts API, media upload and the download of a person's picture.

DingTalk's limits (docs/dingtalk.md, "Limits", with their sources):
- 20 calls a second per application and API: each API's calls are paced at
  `PER_API_PER_SECOND` (a limiter per path); a call refused all the same (HTTP 403
  `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`, oapi errcode 90018, or the platform-wide
  `QpsLimitForApi`/90002) is called again after 1, 2, then 4 s, as are 5xx and network
  errors; then `DingTalkError` with DingTalk's code.
- The organisation's monthly quota used up (403 `Forbidden.AccessDenied.ApiCountLimitForOrg`,
  errcode 90020): raised at once and remembered (`quota_exhausted`) until a metered call
  goes through again; the access token and the contacts API are not metered and still work.
- A card or a message DingTalk answered 200 but did not deliver (`deliverResults[].success`
  false; `batchSend`'s `invalidStaffIdList`, `filteredStaffIdList`,
  `flowControlledStaffIdList`) is said so: `create_card` raises with the `errorMsg`,
  `to_people` returns who missed it and why.
Any other refusal raises `DingTalkError` with DingTalk's code. Metered calls are counted
(`calls`): not the token's and the contacts API's, nor calls refused for the rate or the
quota, unauthorised or failed on DingTalk's side (DingTalk does not count those either)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)

RETRIES = (1.0, 2.0, 4.0)
TOKEN_MARGIN = 300  # seconds before expiry that a token is fetched anew
# DingTalk allows 20 calls a second per application and API; paced a little under, so that
# calls a few milliseconds apart on the way never make 21 in DingTalk's second.
PER_API_PER_SECOND = 18.0
THROTTLED = frozenset(
    {
        "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",  # 20 a second per app and API
        "90018",
        "Forbidden.AccessDenied.QpsLimitForApi",  # all of DingTalk's callers of one API
        "90002",
        "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi",  # per minute
    }
)
QUOTA_USED_UP = frozenset({"Forbidden.AccessDenied.ApiCountLimitForOrg", "90020"})
# Not metered (DingTalk's list of interfaces outside the monthly quota): the token, contacts.
UNMETERED = frozenset({"/v1.0/oauth2/accessToken", "/topapi/v2/user/get"})
# The permission (DingTalk's name in the developer console, 权限管理 > 通讯录管理) without
# which topapi/v2/user/get answers errcode 0 and leaves `mobile` out.
MOBILE_PERMISSION = "企业员工手机号信息"


class DingTalkError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class PermissionMissing(DingTalkError):
    """DingTalk left out what only a permission the application lacks would show."""

    def __init__(self, permission: str, what: str) -> None:
        super().__init__(200, "permission.missing", f"{what}: grant the permission {permission}")
        self.permission = permission


@dataclass(frozen=True)
class Missed:
    """The people a robot message to several (`batchSend`) did not reach, by DingTalk's
    reason: unknown to DingTalk, filtered out, or held back by flow control (try later)."""

    invalid: list[str] = field(default_factory=list)
    filtered: list[str] = field(default_factory=list)
    flow_controlled: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.invalid or self.filtered or self.flow_controlled)


class OpenApi:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        api_url: str = "https://api.dingtalk.com",
        oapi_url: str = "https://oapi.dingtalk.com",
        http: httpx.AsyncClient | None = None,
        retries: tuple[float, ...] = RETRIES,
        per_api_per_second: float = PER_API_PER_SECOND,
    ) -> None:
        self.client_id, self._secret = client_id, client_secret
        self.api_url, self.oapi_url = api_url.rstrip("/"), oapi_url.rstrip("/")
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(20.0))
        self.retries = retries
        self.per_api_per_second = per_api_per_second
        self.calls = 0  # metered calls made
        # The organisation's monthly quota: found used up (True), a metered call went
        # through (False), or no metered call yet (None). `platforms/dingtalk/usage.py`
        # records it for /summary.
        self.quota_exhausted: bool | None = None
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()
        self._pace: dict[str, AsyncLimiter] = {}  # per API path
        self._told_permission: set[str] = set()  # logged once per process each

    async def close(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ the token

    async def token(self) -> str:
        async with self._token_lock:
            if self._token is not None and self._token[1] > time.time():
                return self._token[0]
            answer = await self._send(
                "POST",
                f"{self.api_url}/v1.0/oauth2/accessToken",
                {"appKey": self.client_id, "appSecret": self._secret},
                authorised=False,
            )
            expires = time.time() + int(answer.get("expireIn", 7200)) - TOKEN_MARGIN
            self._token = (str(answer["accessToken"]), expires)
            return self._token[0]

    # ------------------------------------------------------------------ calls

    def _limiter(self, path: str) -> AsyncLimiter:
        """One call at a time per 1/rate seconds for this API (no bursts: DingTalk counts
        each second)."""
        limiter = self._pace.get(path)
        if limiter is None:
            limiter = self._pace[path] = AsyncLimiter(1, 1 / self.per_api_per_second)
        return limiter

    async def _send(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        authorised: bool = True,
        oapi: bool = False,
        query: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        """One call, paced under DingTalk's rate for its API and retried when throttled,
        on 5xx and network errors; a 401 fetches a new token once. Returns the JSON answer."""
        path = urlsplit(url).path
        metered = authorised and path not in UNMETERED
        refreshed = False
        attempt = 0
        while True:
            headers: dict[str, str] = {}
            params: dict[str, str] = dict(query or {})
            if authorised:
                token = await self.token()
                if oapi:
                    params["access_token"] = token
                else:
                    headers["x-acs-dingtalk-access-token"] = token
            await self._limiter(path).acquire()
            try:
                response = await self.http.request(
                    method,
                    url,
                    json=body if files is None else None,
                    files=files,
                    headers=headers,
                    params=params,
                )
            except httpx.TransportError as exc:
                if attempt == len(self.retries):
                    raise DingTalkError(0, "network", str(exc)[:200]) from None
                await asyncio.sleep(self.retries[attempt])
                attempt += 1
                continue
            answer = _json(response)
            code, message = _error(response.status_code, answer)
            if code in QUOTA_USED_UP:
                self.quota_exhausted = True
                raise DingTalkError(response.status_code, code, message)
            status = response.status_code
            if metered and code not in THROTTLED and status != 401 and status < 500:
                self.calls += 1  # (refused for the rate, unauthorised or failed: not counted)
            if response.status_code == 401 and authorised and not refreshed:
                self._token, refreshed = None, True
                continue
            again = code in THROTTLED or response.status_code == 429
            if (again or response.status_code >= 500) and attempt < len(self.retries):
                pause = self.retries[attempt]
                log.info(
                    "DingTalk %s: %s %s, again in %.0f s", path, response.status_code, code, pause
                )
                await asyncio.sleep(pause)
                attempt += 1
                continue
            if code:
                raise DingTalkError(response.status_code, code, message)
            if metered:
                self.quota_exhausted = False  # a metered call went through: there is quota
            return answer

    # ------------------------------------------------------------------ messages and cards

    async def to_people(self, user_ids: list[str], msg_key: str, params: dict[str, Any]) -> Missed:
        """A robot message to people (up to 20); who did not get it, and why."""
        answer = await self._send(
            "POST",
            f"{self.api_url}/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self.client_id,
                "userIds": user_ids,
                "msgKey": msg_key,
                "msgParam": json.dumps(params, ensure_ascii=False),
            },
        )

        def listed(name: str) -> list[str]:
            return [str(u) for u in answer.get(name) or []]

        return Missed(
            invalid=listed("invalidStaffIdList"),
            filtered=listed("filteredStaffIdList"),
            flow_controlled=listed("flowControlledStaffIdList"),
        )

    async def to_group(self, conversation_id: str, msg_key: str, params: dict[str, Any]) -> str:
        answer = await self._send(
            "POST",
            f"{self.api_url}/v1.0/robot/groupMessages/send",
            {
                "robotCode": self.client_id,
                "openConversationId": conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(params, ensure_ascii=False),
            },
        )
        return str(answer.get("processQueryKey", ""))

    async def create_card(
        self, out_track_id: str, template: str, space: str, params: dict[str, str]
    ) -> None:
        """An interactive card in a single chat (`space` "IM_ROBOT.<userid>") or a group
        ("IM_GROUP.<openConversationId>"), its callbacks over Stream. DingTalk answers 200
        with a result per space: a card not delivered raises `DingTalkError` with the
        space's `errorMsg` as its code."""
        kind = space.split(".", 1)[0]
        body: dict[str, Any] = {
            "cardTemplateId": template,
            "outTrackId": out_track_id,
            "openSpaceId": f"dtv1.card//{space}",
            "callbackType": "STREAM",
            "cardData": {"cardParamMap": params},
        }
        if kind == "IM_GROUP":
            body["imGroupOpenDeliverModel"] = {"robotCode": self.client_id}
            body["imGroupOpenSpaceModel"] = {"supportForward": False}
        else:
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT"}
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
        answer = await self._send(
            "POST", f"{self.api_url}/v1.0/card/instances/createAndDeliver", body
        )
        results = (answer.get("result") or {}).get("deliverResults") or []
        delivered = [r for r in results if isinstance(r, dict) and r.get("success") is True]
        if not delivered:
            failed = next((r for r in results if isinstance(r, dict)), {})
            reason = str(failed.get("errorMsg") or "deliverResults.empty")
            raise DingTalkError(200, reason, f"card {out_track_id} not delivered to {space}")

    async def update_card(self, out_track_id: str, params: dict[str, str]) -> None:
        await self._send(
            "PUT",
            f"{self.api_url}/v1.0/card/instances",
            {"outTrackId": out_track_id, "cardData": {"cardParamMap": params}},
        )

    # ------------------------------------------------------------------ people and files

    async def mobile_of(self, user_id: str) -> str | None:
        """The mobile number of the organisation's person `user_id` (None: no such person,
        or no number). `PermissionMissing` when DingTalk leaves the field out: the
        application lacks the 企业员工手机号信息 permission (logged once, for the
        administrator)."""
        try:
            answer = await self._send(
                "POST", f"{self.oapi_url}/topapi/v2/user/get", {"userid": user_id}, oapi=True
            )
        except DingTalkError as exc:
            if exc.code == "60121":  # no such person
                return None
            raise
        result = answer.get("result") or {}
        if "mobile" not in result:
            if MOBILE_PERMISSION not in self._told_permission:
                self._told_permission.add(MOBILE_PERMISSION)
                log.error(
                    "DingTalk gives no mobile numbers (topapi/v2/user/get without `mobile`): "
                    "the application needs the permission %s (developer console: 权限管理 > "
                    "通讯录管理); nobody can register on DingTalk until it is granted",
                    MOBILE_PERMISSION,
                )
            raise PermissionMissing(MOBILE_PERMISSION, "topapi/v2/user/get without mobile")
        mobile = result.get("mobile")
        return str(mobile) if mobile else None

    async def upload(self, data: bytes, filename: str, kind: str = "image") -> str:
        """Upload a picture or file; its media id, for a message."""
        answer = await self._send(
            "POST",
            f"{self.oapi_url}/media/upload",
            oapi=True,
            query={"type": kind},
            files={"media": (filename, data)},
        )
        return str(answer["media_id"])

    async def download(self, download_code: str) -> bytes:
        """A picture a person sent (its download code from the message)."""
        answer = await self._send(
            "POST",
            f"{self.api_url}/v1.0/robot/messageFiles/download",
            {"downloadCode": download_code, "robotCode": self.client_id},
        )
        response = await self.http.get(str(answer["downloadUrl"]))
        response.raise_for_status()
        return response.content


def _error(status: int, answer: dict[str, Any]) -> tuple[str, str]:
    """DingTalk's error code and message in an answer ("" when it is no error): the
    new-style `{code, message}` with a status other than 200, or the older oapi's
    `{errcode, errmsg}` (a status 200 with a nonzero errcode)."""
    if "errcode" in answer and str(answer.get("errcode")) not in ("0", ""):
        return str(answer.get("errcode")), str(answer.get("errmsg", ""))
    if status != 200:
        return str(answer.get("code") or status), str(answer.get("message", ""))
    return "", ""


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {"code": "notJson", "message": response.text[:200]}
    return answer if isinstance(answer, dict) else {"result": answer}
