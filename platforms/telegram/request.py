"""The bot's HTTP client for the Bot API: aiohttp, through python-telegram-bot's documented
`BaseRequest` extension point, instead of its default httpx client.

Why: profiling the bot under load (bench/README.md) showed most of the event loop's time in
httpx, a large part of it httpcore checking every pooled connection for expiry before each
request. aiohttp's client does the same work for a fraction of the CPU. Behaviour is that of
`HTTPXRequest`: the same default timeouts (5 s, 20 s to write media), a timeout raises
`TimedOut`, any other transport failure `NetworkError`; the status and body go back to
python-telegram-bot, which maps error statuses as before.

With a proxy (FANGFANPIN_TELEGRAM_PROXY): an http:// or https:// one through aiohttp's own
proxy support, a socks5:// one through aiohttp-socks' connector (the proxy resolves
Telegram's name, so a poisoned local DNS does not matter)."""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from telegram.request._baserequest import BaseRequest as _Base

DEFAULT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        connection_pool_size: int = 64,
        read_timeout: float | None = DEFAULT_TIMEOUT,
        write_timeout: float | None = DEFAULT_TIMEOUT,
        connect_timeout: float | None = DEFAULT_TIMEOUT,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
        proxy: str | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._proxy = proxy
        self._read, self._write = read_timeout, write_timeout
        self._connect, self._pool = connect_timeout, pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=_connector(self._proxy, self._pool_size),
                headers={"User-Agent": _Base.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = self._connect if connect_timeout is BaseRequest.DEFAULT_NONE else connect_timeout
        pool = self._pool if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        write = self._write if write_timeout is BaseRequest.DEFAULT_NONE else write_timeout
        if files and write_timeout is BaseRequest.DEFAULT_NONE:
            write = self._media_write
        data: Any = fields
        if files:
            # Names as they are (UTF-8), as httpx and Telegram's own clients send them: quoted,
            # 龙溪镇.xlsx would arrive as %E9%BE%99….xlsx.
            form = aiohttp.FormData(quote_fields=False)
            for name, value in (fields or {}).items():
                form.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            data = form
        # aiohttp has no write timeout of its own: the whole request is bounded by the sum.
        parts = [t for t in (pool, connect, write, read) if t is not None]
        timeout = aiohttp.ClientTimeout(
            total=sum(parts) if len(parts) == 4 else None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, proxy=_http_proxy(self._proxy)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


def _connector(proxy: str | None, limit: int) -> aiohttp.TCPConnector:
    if proxy is not None and proxy.startswith("socks5://"):
        from aiohttp_socks import ProxyConnector

        return ProxyConnector.from_url(proxy, limit=limit)
    return aiohttp.TCPConnector(limit=limit)


def _http_proxy(proxy: str | None) -> str | None:
    """The proxy aiohttp itself goes through (a SOCKS one is the connector's)."""
    return proxy if proxy is not None and proxy.startswith(("http://", "https://")) else None
