"""The size of the long scenarios (crashes, outages). `make test` runs them at a size that
shows the property in seconds; `make test-long` (FANGFANPIN_TEST_LONG=1) at full size."""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")
LONG = os.environ.get("FANGFANPIN_TEST_LONG") == "1"


def sized(short: T, long: T) -> T:
    return long if LONG else short
