"""Only this machine's programs drive a stand-in, never a web page open in a browser on it.

Both stand-ins (the Bot API's, `server.py`, and DingTalk's, `dingtalk/server.py`) listen on
127.0.0.1, which every page a local browser shows can reach. So every request, the bot's
API and files included, must name this server as its Host (a page on another name that
resolves here, DNS rebinding, is refused) and come from no other Origin (a browser sends
one with every cross-origin post, a plain HTML form's included; our bot and tests send
none). The control API and the page (`control` prefixes) must in addition post JSON, which
a page elsewhere can not send without asking first."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

# Sec-Fetch-Site values of a request made by one of our own pages or typed in by hand.
_OWN_SITE = frozenset({"same-origin", "none"})


def own_hosts(host: str, port: int) -> set[str]:
    """The Host headers that name a stand-in listening on host:port."""
    return {f"{name}:{port}" for name in (host, "127.0.0.1", "localhost", "[::1]")}


def refusal(request: web.Request, own: set[str], control: bool) -> web.Response | None:
    """Why `request` is refused (a 403 or 415 answer), or None to serve it."""
    if request.host not in own:
        return web.json_response({"error": "wrong Host"}, status=403)
    origin = request.headers.get("Origin")
    site = request.headers.get("Sec-Fetch-Site")
    if (origin is not None and origin.removeprefix("http://") not in own) or (
        site is not None and site not in _OWN_SITE
    ):
        return web.json_response({"error": "cross-origin request refused"}, status=403)
    if control and request.method == "POST" and request.content_type != "application/json":
        return web.json_response({"error": "send application/json"}, status=415)
    return None


def local_only(own: Callable[[], set[str]], control: Iterable[str]) -> Middleware:
    """The middleware: `own()` the server's Host names (its port may be known only once it
    listens), `control` the path prefixes of its control API and page."""
    prefixes = tuple(control)

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = refusal(request, own(), request.path.startswith(prefixes))
        return refused if refused is not None else await handler(request)

    return check
