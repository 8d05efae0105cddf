"""The log never carries a phone number, an ID number or the token: messages, arguments,
tracebacks."""

from __future__ import annotations

import io
import logging

from bot.logs import Redact, redact

TOKEN = "7012345678:AAHk3xQ9v_Zr2LmN8pT4sW6yB1cD5eF7gHj"


def test_redact_masks_phones_ids_and_tokens_but_not_other_numbers() -> None:
    text = (
        "'phone_number': '8613800138001' +86 138-0013-8001 13800138001 "
        f"id 11010519491231002X token {TOKEN} chat -1001381234567 update 123456789012"
    )
    out = redact(text, TOKEN)
    assert "13800138001" not in out and "138-0013-8001" not in out
    assert out.count("138****8001") == 3
    assert "11010519491231002X" not in out and "**************002X" in out
    assert TOKEN not in out and "<token>" in out
    assert "-1001381234567" in out and "123456789012" in out  # chat and update ids stay


def test_filter_masks_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redact(TOKEN))
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("update %s from %s", {"phone_number": "+8613900139000"}, "11010519491231002X")
        try:
            raise ValueError("bad row: 13900139000 / 11010519491231002X")
        except ValueError:
            log.exception("failed for %s", "13900139000")
    finally:
        log.removeHandler(handler)
    out = stream.getvalue()
    assert "13900139000" not in out and "11010519491231002X" not in out
    assert "139****9000" in out and "ValueError" in out and "Traceback" in out
