"""The OpenAPI endpoints an enterprise-internal robot application uses, answered as DingTalk's
documentation and the `dingtalk-stream` SDK (card_replier.py, chatbot.py) show them:

- `POST /v1.0/oauth2/accessToken` {appKey, appSecret} -> {accessToken, expireIn: 7200};
  the new-style APIs take the token in the `x-acs-dingtalk-access-token` header (401 when it
  is missing, wrong or expired);
- `POST /v1.0/robot/oToMessages/batchSend` {robotCode, userIds, msgKey, msgParam}: the robot
  writes to people one by one; `msgParam` is a JSON string; unknown people come back in
  `invalidStaffIdList`;
- `POST /v1.0/robot/groupMessages/send` {robotCode, openConversationId, msgKey, msgParam}:
  to a group the robot is in (a group it was removed from: 400 `robot.not.in.group`, as the
  adapter must notice the removal);
- msgKey `sampleText` {content}, `sampleMarkdown` {title, text}, `sampleImageMsg`
  {photoURL}, `sampleFile` {mediaId, fileName, fileType};
- `POST /v1.0/card/instances/createAndDeliver` {cardTemplateId, outTrackId, openSpaceId
  (`dtv1.card//IM_ROBOT.<userid>` or `dtv1.card//IM_GROUP.<openConversationId>`),
  cardData.cardParamMap, …} and `PUT /v1.0/card/instances` {outTrackId, cardData}: an
  interactive card, updated in place;
- `POST /v1.0/robot/messageFiles/download` {downloadCode, robotCode} -> {downloadUrl}: a
  picture a person sent;
- the older `oapi` endpoints, token in the query: `POST /topapi/v2/user/get` {userid} ->
  the person, with their `mobile` (errcode 60121 for nobody), and `POST /media/upload`
  (multipart `media`) -> {media_id}.

A failure asked for by a test (`/control/fail`) answers with DingTalk's error body shape
({code, message}, or {errcode, errmsg} on oapi), including 429 `Throttling` with the
documented meaning of "too many calls: wait and try again".
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.dingtalk.state import DingState, new_id

MSG_KEYS = {"sampleText", "sampleMarkdown", "sampleImageMsg", "sampleFile"}
SPACE_PREFIX = "dtv1.card//"


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


class OpenApi:
    state: DingState
    url: str

    def openapi_routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1.0/oauth2/accessToken", self._token),
            web.post("/v1.0/robot/oToMessages/batchSend", self._to_people),
            web.post("/v1.0/robot/groupMessages/send", self._to_group),
            web.post("/v1.0/card/instances/createAndDeliver", self._card_create),
            web.put("/v1.0/card/instances", self._card_update),
            web.post("/v1.0/robot/messageFiles/download", self._file_url),
            web.post("/topapi/v2/user/get", self._user_get),
            web.post("/media/upload", self._media_upload),
            web.get("/files/{name}", self._file),
        ]

    @web.middleware
    async def failures(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Record every call; answer the failures a test asked for."""
        if request.path.startswith("/control/"):
            return await handler(request)
        status = self.state.failure_for(request.path)
        if status is None:
            response = await handler(request)
        elif status == 429:
            response = error(429, "Throttling", "请求被流控，请稍后重试")
        else:
            response = error(status, "ServiceUnavailable", "服务暂不可用")
        self.state.calls.append(
            {"method": request.method, "path": request.path, "status": response.status}
        )
        return response

    def _authorised(self, request: web.Request) -> bool:
        token = request.headers.get("x-acs-dingtalk-access-token") or request.query.get(
            "access_token"
        )
        return self.state.token_valid(token)

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (body.get("appKey"), body.get("appSecret")) != (
            self.state.client_id,
            self.state.client_secret,
        ):
            return error(400, "invalidClientIdOrSecret", "无效的clientId或clientSecret")
        return web.json_response({"accessToken": self.state.new_token(), "expireIn": 7200})

    async def _message(self, request: web.Request) -> dict[str, Any] | web.Response:
        if not self._authorised(request):
            return error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        if body.get("robotCode") != self.state.client_id:
            return error(400, "invalidParameter.robotCode", "robotCode 不正确")
        if body.get("msgKey") not in MSG_KEYS:
            return error(400, "invalidParameter.msgKey", "不支持的 msgKey")
        try:
            body["msgParam"] = json.loads(body.get("msgParam") or "")
        except (TypeError, ValueError):
            return error(400, "invalidParameter.msgParam", "msgParam 须为 JSON 字符串")
        return dict(body)

    async def _to_people(self, request: web.Request) -> web.Response:
        body = await self._message(request)
        if isinstance(body, web.Response):
            return body
        users = [str(u) for u in body.get("userIds") or []]
        if not 1 <= len(users) <= 20:
            return error(400, "invalidParameter.userIds", "userIds 须为 1 到 20 人")
        key = new_id("query-")
        invalid = [u for u in users if u not in self.state.users]
        for user in users:
            if user not in invalid:
                self.state.record(
                    "message", user, msgKey=body["msgKey"], msgParam=body["msgParam"], key=key
                )
        return web.json_response(
            {"processQueryKey": key, "invalidStaffIdList": invalid, "flowControlledStaffIdList": []}
        )

    async def _to_group(self, request: web.Request) -> web.Response:
        body = await self._message(request)
        if isinstance(body, web.Response):
            return body
        group = self.state.groups.get(str(body.get("openConversationId")))
        if group is None or not group.get("robot"):
            return error(400, "robot.not.in.group", "机器人不在该群中")
        key = new_id("query-")
        self.state.record(
            "message", group["id"], msgKey=body["msgKey"], msgParam=body["msgParam"], key=key
        )
        return web.json_response({"processQueryKey": key})

    def _space(self, open_space_id: str) -> str | None:
        """The userid or openConversationId a card goes to."""
        kind, _, target = open_space_id.removeprefix(SPACE_PREFIX).partition(".")
        if kind == "IM_ROBOT" and target in self.state.users:
            return target
        group = self.state.groups.get(target)
        if kind == "IM_GROUP" and group is not None and group.get("robot"):
            return target
        return None

    async def _card_create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        track = str(body.get("outTrackId") or "")
        space = self._space(str(body.get("openSpaceId") or ""))
        if not track or not body.get("cardTemplateId"):
            return error(400, "invalidParameter", "outTrackId 和 cardTemplateId 必填")
        if track in self.state.cards:
            return error(400, "card.outTrackId.duplicate", "outTrackId 已存在")
        if space is None:
            return error(400, "invalidParameter.openSpaceId", "openSpaceId 不正确")
        params = dict((body.get("cardData") or {}).get("cardParamMap") or {})
        card = self.state.record(
            "card", space, outTrackId=track, template=body["cardTemplateId"], params=params
        )
        card["updates"] = 0
        self.state.cards[track] = card
        delivered = {"spaceId": space, "success": True}
        return web.json_response(
            {"success": True, "result": {"outTrackId": track, "deliverResults": [delivered]}}
        )

    async def _card_update(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        card = self.state.cards.get(str(body.get("outTrackId") or ""))
        if card is None:
            return error(400, "card.not.found", "卡片不存在")
        card["params"].update((body.get("cardData") or {}).get("cardParamMap") or {})
        card["updates"] += 1
        return web.json_response({"success": True, "result": True})

    async def _file_url(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return error(401, "InvalidAuthentication", "不合法的access_token")
        code = str((await request.json()).get("downloadCode") or "")
        if code not in self.state.media:
            return error(400, "invalidParameter.downloadCode", "downloadCode 不正确")
        return web.json_response({"downloadUrl": f"{self.url}/files/{code}"})

    async def _file(self, request: web.Request) -> web.Response:
        data = self.state.media.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    async def _user_get(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"errcode": 88, "errmsg": "不合法的access_token"})
        user = self.state.users.get(str((await request.json()).get("userid") or ""))
        if user is None:
            return web.json_response({"errcode": 60121, "errmsg": "找不到该用户"})
        return web.json_response(
            {"errcode": 0, "errmsg": "ok", "result": {**user, "state_code": "86"}}
        )

    async def _media_upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"errcode": 88, "errmsg": "不合法的access_token"})
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 40004, "errmsg": "media 缺失"})
        media_id = new_id("@media")
        self.state.media[media_id] = media.file.read()
        return web.json_response({"errcode": 0, "errmsg": "ok", "media_id": media_id})
