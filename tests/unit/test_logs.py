"""The log never carries a phone number, an ID number or the token: messages, arguments,
tracebacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import LIBRARY_LEVELS, Redact, redact, setup_logging

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


def test_redact_masks_amounts_and_health_words_but_not_ids_of_chats_and_times() -> None:
    text = (
        "answer 4,500 元 / 1.2万 / 300 yuan {'expected_income': '24000.00', 'amount': 4500, "
        "'per_capita_income': '-1500.00'} note 老人住院，因病治疗 hospital; chat -1001381234567 "
        "at 2026-11-24 10:00:00,123 members: 3"
    )
    out = redact(text)
    for private in ("4,500", "1.2万", "300 yuan", "24000", "4500", "1500", "住院", "因病", "治疗"):
        assert private not in out, private
    assert out.count("<amount>") == 6 and out.count("<health>") == 4
    assert "-1001381234567" in out and "2026-11-24 10:00:00,123" in out and "members: 3" in out


@pytest.fixture
def library_levels() -> Iterator[None]:
    """setup_logging sets the libraries' levels: put them back for the other tests."""
    names = [*LIBRARY_LEVELS, "test.library", "bot.test"]
    before = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def _records_at_debug(asked: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    setup_logging("DEBUG", TOKEN, asked)
    update = "update {'first_name': '李建国', 'text': '4500'} 13900139000"
    logging.getLogger("telegram.ext.Application").debug("processing %s", update)
    logging.getLogger("httpx").info("HTTP Request: POST .../sendMessage")
    logging.getLogger("test.library").debug("a library not listed: %s", update)
    logging.getLogger("bot.test").debug("our own debug line, 看病 %s", "3,600 元")
    return capsys.readouterr().err


def test_at_debug_only_our_own_records_are_written_unless_a_library_is_asked_for(
    capsys: pytest.CaptureFixture[str], library_levels: None
) -> None:
    quiet = _records_at_debug([], capsys)
    assert "our own debug line, <health> <amount>" in quiet
    assert "processing" not in quiet and "HTTP Request" not in quiet
    assert "a library not listed" not in quiet and "李建国" not in quiet

    asked = _records_at_debug(["telegram", "test.library"], capsys)
    assert "DEBUG telegram.ext.Application: processing" in asked
    assert "a library not listed" in asked
    assert "13900139000" not in asked and "139****9000" in asked  # masked all the same
    assert "HTTP Request" not in asked  # httpx was not asked for
