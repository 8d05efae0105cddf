"""The words of 2026 by default, and the policy file's [words] bringing back 2021–2025's, a
镇街 township or a 区 county (monitoring/terms.py, docs/policy.md "Words")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, load_translations
from monitoring.policy import DEFAULT_SUPERVISION_PHONE, PolicyError, parse_policy
from monitoring.terms import DEFAULT_TERMS, CountyWord, Era, Terms, TownshipWord

LINES = "[lines.2026]\nred_line = 6000\nwatch_line = 8000\n"
OLD = Terms(Era.Y2021, TownshipWord.ZHENJIE, CountyWord.QU)
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def msgstrs(locale: str) -> list[tuple[str, str]]:
    path = Path(LOCALES_DIR) / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    pairs = []
    for m in catalog:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        pairs.extend((ids[0], s) for s in strings)
    return pairs


def test_the_catalog_speaks_2026s_words() -> None:
    """No 监测户 or 纳入防止返贫监测对象 (2021–2025), no 镇街 (Chongqing's), one word for the
    village's group, no 扶贫办 in the example, water not one of 三保障, /resolve no elimination."""
    text = "\n".join(s for _, s in msgstrs("zh_CN"))
    for old in ("监测户", "防止返贫监测对象", "镇街", "村群", "扶办", "发现于", "只问一次"):
        assert old not in text, old
    assert "三保障有问题：饮水" not in text
    assert "防止返贫致贫对象" in text and "乡镇工作群" in text and "村工作群" in text
    zh = load_translations("zh_CN").get()
    assert "风险已消除" not in zh._("Close a red warning (not a risk elimination)")


def test_the_old_words_come_back_with_the_switch() -> None:
    zh = load_translations("zh_CN", OLD).get()
    assert zh._("No household is assigned to you for monitoring.") == "目前没有分配给您的监测户。"
    proposed = zh._(
        "After the village's democratic review, the household below is proposed for "
        "monitoring to prevent a return to poverty. The notice runs for {days} days. "
        "Objections: to the village committee."
    )
    assert "拟将下列农户纳入防止返贫监测对象" in proposed
    assert zh._("township government") == "镇政府（街道办事处）"
    assert zh._("Township staff") == "镇街干部" and zh._("County staff") == "区级干部"
    assert "区级审定" in zh._("Proposals waiting for the county's decision")
    assert load_translations("zh_CN", OLD).get("en")._("County staff") == "District staff"
    default = load_translations("zh_CN").get()
    assert default._("No household is assigned to you for monitoring.") == (
        "目前没有分配给您的防止返贫致贫对象。"
    )
    assert default._("township government") == "乡镇政府" and default._("County staff") == (
        "县级干部"
    )


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_no_word_change_touches_a_placeholder(locale: str) -> None:
    for msgid, string in msgstrs(locale):
        changed = OLD.apply(string, locale)
        assert PLACEHOLDER.findall(changed) == PLACEHOLDER.findall(string), msgid


def test_the_policy_file_says_which_words_and_the_supervision_phone() -> None:
    policy = parse_policy(LINES, "t")
    assert policy.terms == DEFAULT_TERMS and policy.supervision_phone == "12317"
    assert DEFAULT_SUPERVISION_PHONE == "12317"
    chosen = parse_policy(
        'supervision_phone = "023-49876543"\n'
        '[words]\nera = 2021\ntownship = "镇街"\ncounty = "区"\n' + LINES,
        "t",
    )
    assert chosen.terms == OLD and chosen.supervision_phone == "023-49876543"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[words]\nera = "2019"\n', "t: words.era = '2019': use '2026' or '2021'"),
        ('[words]\ntownship = "街道"\n', "t: words.township = '街道': use '乡镇' or '镇街'"),
        (
            '[words]\ncity = "市"\n',
            "t: words.city: unknown key (known here: era, township, county)",
        ),
        ('words = "2021"\n', "t: words = '2021': should be a table ([words])"),
        ('supervision_phone = "13800138000"\n', "t: supervision_phone = '13800138000'"),
        ("supervision_phone = 12317\n", "t: supervision_phone = 12317"),
    ],
)
def test_a_bad_words_table_or_phone_is_named(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text + LINES, "t")
    assert str(raised.value).startswith(message)
