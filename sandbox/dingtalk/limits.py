"""DingTalk's limits in the stand-in (`DingState.limits`), as DingTalk's pages on throttling and
on the monthly quota describe them (docs/dingtalk.md, "Limits"):

- `per_second` calls a second per API (20 on every plan), counted in each second; beyond
  it a call answers 403 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi` (the older oapi:
  errcode 90018) and is not counted;
- `monthly_quota` metered calls a calendar month (the standard plan's 5,000 since
  2025-11-19); the access token and the contacts API are not metered; beyond it a metered
  call answers 403 `Forbidden.AccessDenied.ApiCountLimitForOrg` (oapi: 90020);
- failures a test asks for (`/control/fail`): 403 the throttling above, 5xx `system.busy`,
  or the code given.
Every call is logged (`state.calls`) with its status and whether it was metered."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from sandbox.dingtalk.state import DingState, Failure, new_id

OAPI = {"/topapi/v2/user/get", "/media/upload"}  # the older API: errors as errcode/errmsg
UNMETERED = {"/v1.0/oauth2/accessToken", "/topapi/v2/user/get"}  # outside the monthly quota
SHANGHAI = ZoneInfo("Asia/Shanghai")  # DingTalk's calendar month
QPS = ("Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", 90018)
QPS_MESSAGE = "您的企业应用调用钉钉开放平台当前接口的所有请求都被暂时禁用了"
QUOTA = ("Forbidden.AccessDenied.ApiCountLimitForOrg", 90020)


def this_month() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m")


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"code": code, "message": message, "requestid": new_id("")}, status=status
    )


def oapi_error(errcode: int, errmsg: str) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": errmsg, "request_id": new_id("")})


class Limited:
    state: DingState

    def _authorised(self, request: web.Request) -> bool:
        token = request.headers.get("x-acs-dingtalk-access-token") or request.query.get(
            "access_token"
        )
        return self.state.token_valid(token)

    @web.middleware
    async def failures(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Record every call; answer the failures a test asked for, and DingTalk's limits."""
        if request.path.startswith("/control/"):
            return await handler(request)
        metered = False
        response: web.StreamResponse
        rule = self.state.failure_for(request.path)
        if rule is not None:
            response = self._failure(request.path, rule)
        elif not self._api(request):
            response = await handler(request)
        elif not self._within_rate(request.path):
            response = self._refusal(request.path, QPS, QPS_MESSAGE)
        else:
            metered = request.path not in UNMETERED and self._authorised(request)
            limits = self.state.limits
            if metered and not self._within_quota():
                metered = False
                message = (
                    f"您的企业本月api调用量已超过限制,调用量:{limits.used + 1}次,"
                    f"额度:{limits.monthly_quota}次,请登录开发者后台-资源管理-查看用量明细"
                )
                response = self._refusal(request.path, QUOTA, message)
            else:
                response = await handler(request)
        self.state.calls.append(
            {
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "metered": metered,
            }
        )
        return response

    def _api(self, request: web.Request) -> bool:
        return request.path.startswith(("/v1.0/robot/", "/v1.0/card/", "/v1.0/oauth2/")) or (
            request.path in OAPI
        )

    def _within_rate(self, path: str) -> bool:
        """Calls to this API in the current second, as DingTalk counts them (a call refused
        for the rate is not counted)."""
        limits, second = self.state.limits, int(time.time())
        start, calls = limits.seconds.get(path, (second, 0))
        if start != second:
            calls = 0
        if calls >= limits.per_second:
            return False
        limits.seconds[path] = (second, calls + 1)
        return True

    def _within_quota(self) -> bool:
        """One more metered call this calendar month, if the quota allows it."""
        limits = self.state.limits
        month = this_month()
        if not limits.month:  # the first call, or a test that set `used`
            limits.month = month
        elif month != limits.month:  # a new month: the count starts again
            limits.month, limits.used = month, 0
        if limits.monthly_quota is not None and limits.used >= limits.monthly_quota:
            return False
        limits.used += 1
        return True

    def _refusal(self, path: str, which: tuple[str, int], message: str) -> web.Response:
        code, errcode = which
        return oapi_error(errcode, message) if path in OAPI else error(403, code, message)

    def _failure(self, path: str, rule: Failure) -> web.Response:
        if rule.code is not None:
            if path in OAPI:
                return oapi_error(int(rule.code) if rule.code.isdigit() else -1, rule.code)
            return error(rule.status, rule.code, rule.code)
        if rule.status in (403, 429):
            return self._refusal(path, QPS, QPS_MESSAGE)
        if rule.status >= 500:
            return error(rule.status, "system.busy", "系统繁忙")
        return error(rule.status, "invalidParameter.param.invalid", "参数不合法")

    async def _c_limits(self, request: web.Request) -> web.Response:
        """{perSecond, monthlyQuota, used, mobilePermission}: any of them."""
        body = await request.json()
        limits = self.state.limits
        if "perSecond" in body:
            limits.per_second = int(body["perSecond"])
        if "monthlyQuota" in body:
            quota = body["monthlyQuota"]
            limits.monthly_quota = None if quota is None else int(quota)
        if "used" in body:
            limits.used = int(body["used"])
            limits.month = this_month()
        if "mobilePermission" in body:
            limits.mobile_permission = bool(body["mobilePermission"])
        return web.json_response(
            {
                "perSecond": limits.per_second,
                "monthlyQuota": limits.monthly_quota,
                "used": limits.used,
                "mobilePermission": limits.mobile_permission,
            }
        )
