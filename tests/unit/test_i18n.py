"""Every message id is translated in both catalogs, the template matches the source, and
translations keep their placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, load_translations
from monitoring.i18n import SUPPORTED_LOCALES, Translations

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def catalog(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def ids(cat: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in cat if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "-o",
            str(out),
            "monitoring",
            "storage",
            "conversations",
            "scheduler",
            "bot",
            "platforms",
            "sandbox",
        ],
        cwd=ROOT,
        check=True,
    )
    return catalog(out)


def test_template_is_up_to_date_with_the_source(extracted: Catalog) -> None:
    template = catalog(LOCALES_DIR / "messages.pot")
    assert ids(extracted) == ids(template), "run `make i18n` and translate the new entries"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_is_translated(extracted: Catalog, locale: str) -> None:
    po = catalog(LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po")
    translated = {}
    for message in po:
        if not message.id or "fuzzy" in message.flags:
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if all(strings):
            translated[message.id if isinstance(message.id, str) else message.id[0]] = strings
    missing = ids(extracted) - set(translated)
    assert not missing, f"{locale} lacks translations for: {sorted(missing)}"
    for message in po:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(source)), (
                f"{locale}: placeholders differ in {source!r}"
            )


def test_compiled_catalogs_are_used() -> None:
    translations = load_translations("zh_CN")
    assert translations.missing_catalogs() == []
    assert translations.get()._("Helper") == "帮扶责任人"
    assert translations.get("en")._("Helper") == "Helper"
    assert translations.get("fr")._("Helper") == "帮扶责任人"  # unknown -> default
    zh = translations.get("zh_CN")
    assert (
        zh.ngettext(
            "The roster was not imported: {n} problem. Nothing was changed.",
            "The roster was not imported: {n} problems. Nothing was changed.",
            2,
        ).format(n=2)
        == "名单未导入：发现 2 个问题，数据未作任何改动。"
    )
    assert translations.get("en").number(12345) == "12,345"


def test_a_fuzzy_guess_is_never_shown(tmp_path: Path) -> None:
    """`pybabel update` guesses translations of new messages from similar old ones and marks
    them fuzzy; such a guess is often wrong ("the red warning for household" once guessed
    "no household with this number"), so it is never used."""
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "the red warning"\nmsgstr "没有户编号"\n\n'
        'msgid "Helper"\nmsgstr "帮扶责任人"\n',
        encoding="utf-8",
    )
    t = Translations(tmp_path, "zh_CN").get()
    assert t._("Helper") == "帮扶责任人"
    assert t._("the red warning") == "the red warning"
