"""Charts for /summary and the weekly summary: PNG bytes drawn with matplotlib's Agg backend.

Chinese text needs a font that has the glyphs; matplotlib's own DejaVu has none and would draw
empty boxes. `cjk_font()` finds one on the system (the install step provides Debian's
fonts-wqy-microhei when no Chinese font is present) and checks it really holds the glyphs; the
charts use it for every text. Without one the charts are still drawn, with a warning in the log,
and the summary text is unaffected.

Only matplotlib's object API is used (no pyplot, no global figure state); rendering holds a lock
because matplotlib's font cache and text layout are not thread-safe, and callers run it in a
worker thread so the bot keeps answering while a chart is drawn.
"""

from __future__ import annotations

import functools
import io
import logging
import shutil
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

# matplotlib is imported where a chart is drawn, not here: it takes about a third of a second,
# and a process that never draws (a restart, a CLI command) should not pay for it.
if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

from conversations.texts import week_label
from monitoring.i18n import Translator
from storage.summary import TrendPoint, WeekSummary

log = logging.getLogger(__name__)

# Characters every chart needs; a font missing one of them is not used.
PROBE = "镇村户率红黄周走访完成监测预警"
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
RED, YELLOW, GREEN, GREY = "#c62828", "#f9a825", "#2e7d32", "#9e9e9e"
_lock = threading.Lock()


def missing_glyphs(path: str | Path, text: str) -> set[str]:
    """The characters of `text` (other than spaces) that the font file has no glyph for."""
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(path)).get_charmap()
    return {c for c in text if not c.isspace() and ord(c) not in charmap}


def _candidates() -> Iterable[str]:
    yield from KNOWN_FONTS
    if shutil.which("fc-list"):
        try:
            listed = subprocess.run(
                ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        for line in sorted(listed.splitlines()):
            yield line.split(":")[0].strip()


@functools.cache
def cjk_font() -> Path | None:
    """A font file on this machine with every glyph of PROBE, registered with matplotlib."""
    from matplotlib import font_manager

    for candidate in _candidates():
        path = Path(candidate)
        if not path.is_file():
            continue
        try:
            if missing_glyphs(path, PROBE):
                continue
        except (OSError, RuntimeError):
            continue
        font_manager.fontManager.addfont(str(path))
        return path
    log.warning("no font with Chinese glyphs found: charts will show empty boxes")
    return None


# Drawn for a phone: a picture about as wide as it is tall, shown at the screen's width
# (about 400 points), so text is set large and axes carry few ticks.
WIDTH = 5.4  # inches, at DPI: 810 pixels
DPI = 150
TEXT, SMALL, TITLE = 12, 11, 14


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    return figure


def _readable(ax: Axes) -> None:
    ax.tick_params(labelsize=SMALL)
    ax.title.set_fontsize(TEXT + 1)
    ax.xaxis.label.set_fontsize(TEXT)
    ax.yaxis.label.set_fontsize(TEXT)


def render(figure: Figure) -> bytes:
    """PNG bytes of `figure`, every text set in the CJK font (per artist, not in the global
    rcParams, so nothing else in the process is affected)."""
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    font = cjk_font()
    if font is not None:
        name = font_manager.FontProperties(fname=str(font)).get_name()
        for text in figure.findobj(Text):
            text.set_fontfamily(name)
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def week_figure(summary: WeekSummary, title: str, t: Translator) -> Figure:
    """Check-in completion by village (bars, %) above red and watch households by village:
    stacked, for a phone's screen."""
    from matplotlib.ticker import MaxNLocator

    villages = summary.villages or []
    names = [v.name for v in villages]
    rows = max(1, len(names))
    figure = _figure(WIDTH, 1.6 + 2 * (0.8 + 0.42 * rows))
    figure.suptitle(
        t._("{title}, {week}").format(title=title, week=week_label(summary.week, t)),
        fontsize=TITLE,
    )
    if not names:
        ax = figure.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, t._("No monitored households"), ha="center", va="center", fontsize=TEXT)
        return figure
    rate_ax, level_ax = figure.subplots(2, 1)
    positions = list(range(len(names)))
    rates = [100 * (v.rate or 0) for v in villages]
    bars = rate_ax.barh(positions, rates, color=GREEN, height=0.6)
    rate_ax.set_xlim(0, 125)  # room for the "done/monitored" label after a full bar
    rate_ax.set_xticks([0, 50, 100])
    rate_ax.set_yticks(positions, names)
    rate_ax.invert_yaxis()
    rate_ax.set_title(t._("Check-ins done (%)"))
    for bar, line in zip(bars, villages, strict=True):
        rate_ax.text(
            bar.get_width() + 2,
            bar.get_y() + bar.get_height() / 2,
            f"{line.done}/{line.monitored}",
            va="center",
            fontsize=SMALL,
        )
    half = 0.38
    level_ax.barh(
        [p - half / 2 for p in positions],
        [v.red for v in villages],
        height=half,
        color=RED,
        label=t._("Red"),
    )
    level_ax.barh(
        [p + half / 2 for p in positions],
        [v.watch for v in villages],
        height=half,
        color=YELLOW,
        label=t._("Watch"),
    )
    level_ax.set_yticks(positions, names)
    level_ax.invert_yaxis()
    level_ax.set_title(t._("Red and watch households"))
    level_ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    level_ax.legend(loc="lower right", fontsize=SMALL)
    for each in (rate_ax, level_ax):
        _readable(each)
    return figure


def trend_figure(points: list[TrendPoint], title: str, t: Translator) -> Figure:
    """The completion rate (line, left axis, %) and red households (line, right axis) by week;
    every other week labelled when there are many."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(WIDTH, 4.8)
    figure.suptitle(
        t._("{title}: the last {n} weeks").format(title=title, n=len(points)), fontsize=TITLE
    )
    ax = figure.subplots()
    labels = [f"W{p.week.number:02d}" for p in points]
    rates = [100 * p.rate if p.rate is not None else float("nan") for p in points]
    ax.plot(labels, rates, marker="o", color=GREEN, label=t._("Check-ins done (%)"))
    ax.set_ylim(0, 105)
    ax.set_yticks([0, 50, 100])
    ax.set_ylabel(t._("Check-ins done (%)"))
    step = 2 if len(labels) > 6 else 1
    ax.set_xticks(range(0, len(labels), step), labels[::step])
    red_ax = ax.twinx()
    red_ax.plot(labels, [p.red for p in points], marker="s", color=RED, label=t._("Red"))
    red_ax.set_ylabel(t._("Red households"))
    red_ax.set_ylim(bottom=0, top=max([p.red for p in points] + [4]) * 1.2)
    red_ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    for each in (ax, red_ax):
        _readable(each)
    handles = ax.get_legend_handles_labels()[0] + red_ax.get_legend_handles_labels()[0]
    figure.legend(
        handles,
        [str(h.get_label()) for h in handles],
        loc="outside lower center",
        ncols=2,
        fontsize=SMALL,
    )
    return figure


def week_chart(summary: WeekSummary, title: str, t: Translator) -> bytes:
    with _lock:
        return render(week_figure(summary, title, t))


def trend_chart(points: list[TrendPoint], title: str, t: Translator) -> bytes:
    with _lock:
        return render(trend_figure(points, title, t))
