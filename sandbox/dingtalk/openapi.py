"""The OpenAPI endpoints an enterprise-internal robot application uses, answered as DingTalk's
documentation and the `dingtalk-stream` SDK (card_replier.py, chatbot.py) show them (the pages
are cited in docs/dingtalk.md):

- `POST /v1.0/oauth2/accessToken` {appKey, appSecret} -> {accessToken, expireIn: 7200};
  the new-style APIs take the token in the `x-acs-dingtalk-access-token` header (401 when it
  is missing, wrong or expired);
- `POST /v1.0/robot/oToMessages/batchSend` {robotCode, userIds (1 to 20), msgKey, msgParam}:
  the robot writes to people one by one; `msgParam` is a JSON string; who did not get it
  comes back in `invalidStaffIdList` (unknown), `filteredStaffIdList` (a person marked
  `filtered`) and `flowControlledStaffIdList` (a person's `flow_controlled` count);
- `POST /v1.0/robot/groupMessages/send` {robotCode, openConversationId, msgKey, msgParam}:
  to a group; an unknown group answers 400 `invalid.openConversationId`, a disbanded one
  `group.disbanded`, one the robot was removed from `invalidParameter.robotCode.notExsit`;
- msgKey `sampleText` {content}, `sampleMarkdown` {title, text}, `sampleImageMsg`
  {photoURL}, `sampleFile` {mediaId, fileName, fileType};
- `POST /v1.0/card/instances/createAndDeliver` {cardTemplateId, outTrackId, openSpaceId
  (`dtv1.card//IM_ROBOT.<userid>` or `dtv1.card//IM_GROUP.<openConversationId>`),
  cardData.cardParamMap, …} answers 200 with `result.deliverResults[]` ({spaceType,
  spaceId, success, carrierId, errorMsg}): a space the card could not reach has `success`
  false, its `errorMsg` (undocumented values; here the code the robot's message would get
  there, or `param.userIdNotExist`); `PUT /v1.0/card/instances` {outTrackId, cardData}
  updates it (`param.cardNotExist`, `param.cardAlreadyExist` as documented);
- `POST /v1.0/robot/messageFiles/download` {downloadCode, robotCode} -> {downloadUrl}: a
  picture a person sent;
- the older `oapi` endpoints, token in the query, errors as {errcode, errmsg}:
  `POST /topapi/v2/user/get` {userid} -> the person, with `mobile` and `state_code` only when
  the application has the 企业员工手机号信息 permission (errcode 60121 for nobody), and
  `POST /media/upload` (multipart `media`) -> {media_id}.

DingTalk's limits (`DingState.limits`): `per_second` calls a second per API (20; counted in
each second, as DingTalk's page on throttling describes), beyond which a call answers 403
`Forbidden.AccessDenied.QpsLimitForAppkeyAndApi` (oapi: errcode 90018) and is not counted;
and `monthly_quota` metered calls a calendar month (the token and the contacts API are not
metered), beyond which metered calls answer 403 `Forbidden.AccessDenied.ApiCountLimitForOrg`
(oapi: 90020). Each call is logged (`calls`) with its status and whether it was metered.

A failure asked for by a test (`/control/fail`) answers with DingTalk's error body: 403 the
throttling above, 5xx `system.busy`, or the code given.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.dingtalk.limits import Limited, error
from sandbox.dingtalk.state import new_id

MSG_KEYS = {"sampleText", "sampleMarkdown", "sampleImageMsg", "sampleFile"}
SPACE_PREFIX = "dtv1.card//"


class OpenApi(Limited):
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

    def openapi_control_routes(self) -> list[web.RouteDef]:
        return [
            web.post("/control/limits", self._c_limits),
            web.post("/control/groups/{id}/disband", self._c_disband),
        ]

    async def _c_disband(self, request: web.Request) -> web.Response:
        group = self.state.groups.get(request.match_info["id"])
        if group is None:
            return web.json_response({"error": "no such group"}, status=404)
        group["disbanded"] = True
        return web.json_response(group)

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
        if not body.get("robotCode"):
            return error(400, "invalidParameter.robotCode.missing", "缺少robotCode")
        if body.get("robotCode") != self.state.client_id:
            return error(
                400,
                "invalidParameter.robotCode.auth",
                "此应用appkey和机器人robotCode不匹配，请使用机器人应用的appkey",
            )
        if body.get("msgKey") not in MSG_KEYS:
            return error(400, "invalidParameter.msgKey.invalid", "msgKey无效")
        try:
            body["msgParam"] = json.loads(body.get("msgParam") or "")
        except (TypeError, ValueError):
            return error(400, "invalidParameter.msgParam.invalid", "msgParam必须是json格式")
        return dict(body)

    async def _to_people(self, request: web.Request) -> web.Response:
        body = await self._message(request)
        if isinstance(body, web.Response):
            return body
        users = [str(u) for u in body.get("userIds") or []]
        if not users:
            return error(400, "invalidParameter.userIds.empty", "用户userId列表为空")
        if len(users) > 20:
            return error(400, "invalidParameter.userIds.overMax", "用户userId列表超过最大限制")
        key = new_id("query-")
        invalid, filtered, held = [], [], []
        for userid in users:
            user = self.state.users.get(userid)
            if user is None:
                invalid.append(userid)
            elif user.get("filtered"):
                filtered.append(userid)
            elif int(user.get("flow_controlled") or 0) > 0:
                user["flow_controlled"] = int(user["flow_controlled"]) - 1
                held.append(userid)
            else:
                self.state.record(
                    "message", userid, msgKey=body["msgKey"], msgParam=body["msgParam"], key=key
                )
        return web.json_response(
            {
                "processQueryKey": key,
                "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": held,
                "filteredStaffIdList": filtered,
            }
        )

    def _group_refusal(self, conversation_id: str) -> tuple[str, str] | None:
        """Why the robot can not write in this group (DingTalk's code and message), or None."""
        group = self.state.groups.get(conversation_id)
        if group is None:
            return "invalid.openConversationId", "无效的openConversationId"
        if group.get("disbanded"):
            return "group.disbanded", "群已经解散"
        if not group.get("robot"):
            return "invalidParameter.robotCode.notExsit", "机器人不存在"
        return None

    async def _to_group(self, request: web.Request) -> web.Response:
        body = await self._message(request)
        if isinstance(body, web.Response):
            return body
        conversation = str(body.get("openConversationId") or "")
        if not conversation:
            return error(400, "miss.openConversationId", "缺少openConversationId")
        refused = self._group_refusal(conversation)
        if refused is not None:
            return error(400, *refused)
        key = new_id("query-")
        self.state.record(
            "message", conversation, msgKey=body["msgKey"], msgParam=body["msgParam"], key=key
        )
        return web.json_response({"processQueryKey": key})

    async def _card_create(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        track = str(body.get("outTrackId") or "")
        if not track:
            return error(400, "param.outTrackIdEmpty", "param.outTrackIdEmpty")
        if not body.get("cardTemplateId"):
            return error(400, "param.cardTemplateIdEmpty", "param.cardTemplateIdEmpty")
        kind, _, target = (
            str(body.get("openSpaceId") or "").removeprefix(SPACE_PREFIX).partition(".")
        )
        if kind not in ("IM_ROBOT", "IM_GROUP") or not target:
            return error(400, "param.openSpaceIdInvalid", "param.openSpaceIdInvalid")
        if track in self.state.cards:
            return error(400, "param.cardAlreadyExist", "param.cardAlreadyExist")
        if kind == "IM_ROBOT":
            refused = None if target in self.state.users else "param.userIdNotExist"
        else:
            why = self._group_refusal(target)
            refused = why[0] if why else None
        result: dict[str, Any] = {"spaceType": kind, "spaceId": target, "success": refused is None}
        if refused is None:
            params = dict((body.get("cardData") or {}).get("cardParamMap") or {})
            card = self.state.record(
                "card", target, outTrackId=track, template=body["cardTemplateId"], params=params
            )
            card["updates"] = 0
            self.state.cards[track] = card
            result["carrierId"] = new_id("carrier-")
        else:
            result["errorMsg"] = refused
        return web.json_response(
            {"success": True, "result": {"outTrackId": track, "deliverResults": [result]}}
        )

    async def _card_update(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return error(401, "InvalidAuthentication", "不合法的access_token")
        body = await request.json()
        card = self.state.cards.get(str(body.get("outTrackId") or ""))
        if card is None:
            return error(400, "param.cardNotExist", "param.cardNotExist")
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
        result = {k: v for k, v in user.items() if k in ("userid", "name", "mobile")}
        if self.state.limits.mobile_permission:
            result["state_code"] = "86"
        else:  # documented: returned only with the 企业员工手机号信息 permission
            result.pop("mobile", None)
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": result})

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
