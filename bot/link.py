"""One log line per change in the link to a platform, not one per failed request.

During an outage the poller and the outbox retry with backoff; without this, each retry would
log a line (and a busy outbox, one per message). `LinkState` logs when the link goes down,
when the kind of failure changes (refused, then timing out, then 502), and when it is back,
with how long it was down."""

from __future__ import annotations

import logging
import time

TIMEOUTS = ("TimedOut", "TimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout")


def failure_kind(error: BaseException | str) -> str:
    if isinstance(error, str):
        return (error.strip() or "failed").splitlines()[0][:120]
    if type(error).__name__ in TIMEOUTS:
        return "timed out"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:120]


class LinkState:
    def __init__(self, name: str, log: logging.Logger, platform: str = "Telegram") -> None:
        self.name, self.log, self.platform = name, log, platform
        self.down_since: float | None = None
        self.kind: str | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException | str) -> None:
        kind = failure_kind(error)
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.log.warning(
                "%s: %s unreachable (%s); retrying with backoff", self.name, self.platform, kind
            )
        elif kind != self.kind:
            self.log.warning("%s: %s still unreachable, now: %s", self.name, self.platform, kind)
        self.kind = kind

    def ok(self) -> None:
        if self.down_since is not None:
            self.log.warning(
                "%s: %s reachable again after %.0f s",
                self.name,
                self.platform,
                time.monotonic() - self.down_since,
            )
            self.down_since, self.kind = None, None
