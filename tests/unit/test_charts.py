"""The charts draw Chinese with a font that has the glyphs (no empty boxes)."""

from __future__ import annotations

import warnings

from matplotlib import font_manager
from matplotlib.text import Text

from bot.i18n import load_translations
from conversations.reports.charts import cjk_font, missing_glyphs, render, trend_figure, week_figure
from monitoring.weeks import Week
from storage.summary import TrendPoint, VillageLine, WeekSummary


def _texts_and_fonts(figure: object) -> list[tuple[str, str]]:
    found = []
    for text in figure.findobj(Text):  # type: ignore[attr-defined]
        content = text.get_text()
        if content.strip():
            found.append((content, font_manager.findfont(text.get_fontproperties())))
    return found


def test_the_install_step_provides_a_font_with_chinese_glyphs() -> None:
    font = cjk_font()
    assert font is not None, "no CJK font: `make install` installs fonts-wqy-microhei"
    assert not missing_glyphs(font, "龙溪镇青山村石桥村走访完成率红色预警黄色关注户数周次")
    assert missing_glyphs(font_manager.findfont("DejaVu Sans"), "镇") == {"镇"}  # the check bites


def test_every_text_of_the_charts_is_drawn_with_a_font_that_has_its_glyphs() -> None:
    t = load_translations("zh_CN").get()
    summary = WeekSummary(
        Week(2026, 49),
        [VillageLine("青山村", 10, 7, 1, 2, 1), VillageLine("石桥村", 5, 5, 0, 0, 3)],
        VillageLine("", 15, 12, 1, 2, 4),
        [],
    )
    points = [TrendPoint(Week(2026, n), 15, n % 5 + 8, n % 3) for n in range(42, 50)]
    for figure in (week_figure(summary, "龙溪镇", t), trend_figure(points, "龙溪镇", t)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font"
            png = render(figure)
        assert png.startswith(b"\x89PNG")
        texts = _texts_and_fonts(figure)
        assert any("走访" in content for content, _ in texts)  # the labels are Chinese
        for content, path in texts:
            assert not missing_glyphs(path, content), (content, path)
