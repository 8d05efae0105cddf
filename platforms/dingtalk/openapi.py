"""DingTalk's OpenAPI for the robot, with the project's async HTTP client (httpx): the
access token (kept until five minutes before it expires, fetched again after a 401), robot
messages to people and groups, interactive cards created and updated in place, a person's
mobile number from the contacts API, media upload and the download of a person's picture.

A 429 (`Throttling`), a 5xx or a network error is retried after 1, 2, then 4 s (three
times); anything else raises `DingTalkError` with DingTalk's code (`robot.not.in.group`
tells the adapter the robot was removed from a group). Every call DingTalk meters is counted
(`calls`): an organisation on the standard plan has 10,000 a month (docs/dingtalk.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import httpx

log = logging.getLogger(__name__)

RETRIES = (1.0, 2.0, 4.0)
TOKEN_MARGIN = 300  # seconds before expiry that a token is fetched anew


class DingTalkError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


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
    ) -> None:
        self.client_id, self._secret = client_id, client_secret
        self.api_url, self.oapi_url = api_url.rstrip("/"), oapi_url.rstrip("/")
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(20.0))
        self.retries = retries
        self.calls = 0  # metered calls made (the token's own call is not metered)
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

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

    async def _send(
        self, method: str, url: str, body: Any, *, authorised: bool = True, oapi: bool = False
    ) -> dict[str, Any]:
        """One call, retried on throttling, 5xx and network errors; a 401 fetches a new
        token once. Returns the JSON answer."""
        refreshed = False
        for attempt in range(len(self.retries) + 1):
            headers: dict[str, str] = {}
            params: dict[str, str] = {}
            if authorised:
                token = await self.token()
                if oapi:
                    params["access_token"] = token
                else:
                    headers["x-acs-dingtalk-access-token"] = token
            try:
                response = await self.http.request(
                    method, url, json=body, headers=headers, params=params
                )
            except httpx.TransportError as exc:
                if attempt == len(self.retries):
                    raise DingTalkError(0, "network", str(exc)[:200]) from None
                await asyncio.sleep(self.retries[attempt])
                continue
            if authorised:
                self.calls += 1
            answer = _json(response)
            if response.status_code == 401 and authorised and not refreshed:
                self._token, refreshed = None, True
                continue
            retry = response.status_code == 429 or response.status_code >= 500
            if retry and attempt < len(self.retries):
                pause = self.retries[attempt]
                log.info("DingTalk %s: %s, again in %.0f s", url, response.status_code, pause)
                await asyncio.sleep(pause)
                continue
            if response.status_code != 200:
                raise DingTalkError(
                    response.status_code,
                    str(answer.get("code", "")),
                    str(answer.get("message", "")),
                )
            if oapi and int(answer.get("errcode", 0)) != 0:
                raise DingTalkError(200, str(answer.get("errcode")), str(answer.get("errmsg", "")))
            return answer
        raise DingTalkError(429, "Throttling", "still throttled after retries")

    # ------------------------------------------------------------------ messages and cards

    async def to_people(
        self, user_ids: list[str], msg_key: str, params: dict[str, Any]
    ) -> list[str]:
        """A robot message to people (up to 20); returns the user ids DingTalk did not know."""
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
        return [str(u) for u in answer.get("invalidStaffIdList") or []]

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
        ("IM_GROUP.<openConversationId>"), its callbacks over Stream."""
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
        await self._send("POST", f"{self.api_url}/v1.0/card/instances/createAndDeliver", body)

    async def update_card(self, out_track_id: str, params: dict[str, str]) -> None:
        await self._send(
            "PUT",
            f"{self.api_url}/v1.0/card/instances",
            {"outTrackId": out_track_id, "cardData": {"cardParamMap": params}},
        )

    # ------------------------------------------------------------------ people and files

    async def mobile_of(self, user_id: str) -> str | None:
        """The mobile number of the organisation's person `user_id` (None: no such person)."""
        try:
            answer = await self._send(
                "POST", f"{self.oapi_url}/topapi/v2/user/get", {"userid": user_id}, oapi=True
            )
        except DingTalkError as exc:
            if exc.code == "60121":  # no such person
                return None
            raise
        mobile = (answer.get("result") or {}).get("mobile")
        return str(mobile) if mobile else None

    async def upload(self, data: bytes, filename: str, kind: str = "image") -> str:
        """Upload a picture or file; its media id, for a message."""
        token = await self.token()
        response = await self.http.post(
            f"{self.oapi_url}/media/upload",
            params={"access_token": token, "type": kind},
            files={"media": (filename, data)},
        )
        self.calls += 1
        answer = _json(response)
        if response.status_code != 200 or int(answer.get("errcode", 0)) != 0:
            raise DingTalkError(response.status_code, str(answer.get("errcode")), str(answer))
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


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {"code": "notJson", "message": response.text[:200]}
    return answer if isinstance(answer, dict) else {"result": answer}
