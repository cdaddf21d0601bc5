"""Geometry of the server-drawn SVG charts (no JavaScript): bars stacked by category.

Words (dates, category names, titles) are left to the template, in the reader's language.
"""

from dataclasses import dataclass
from datetime import date

from supplies.services.stock.weekly import WeeklyUnits
from supplies.vocab import SUPPLY_CATEGORIES

# Horizontal bars, one row per week: on a phone the chart is drawn near 1:1, so text stays legible.
WIDTH = 360
ROW, BAR = 24, 16
LEFT, RIGHT, TOP, BOTTOM = 52, 44, 8, 28


@dataclass(frozen=True)
class Bar:
    """One category's part of one week's bar."""

    x: float
    y: float
    width: float
    height: float
    css: str
    week: date
    category: str
    units: int


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis (a number, or the day a week starts)."""

    x: float
    y: float
    label: str
    day: date | None = None


@dataclass(frozen=True)
class StackedChart:
    """Everything the SVG template draws."""

    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    totals: list[Tick]
    legend: list[tuple[str, str]]  # (css class, category code)
    top: float
    bottom: float
    left: float


def _nice_max(value: int) -> int:
    step = 1
    while step * 10 < value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def category_css(category: str) -> str:
    """A stable CSS class per category, so colours live in app.css."""
    index = SUPPLY_CATEGORIES.index(category) if category in SUPPLY_CATEGORIES else 10
    return f"cat-{index}"


def weekly_chart(data: WeeklyUnits) -> StackedChart:
    """A row per week (oldest first), each bar stacked by category, its total at the end."""
    weeks = len(data.weeks)
    top = _nice_max(max([data.total(i) for i in range(weeks)] + [2]))
    top += top % 2  # the middle grid line must fall on a whole number
    plot_w = WIDTH - LEFT - RIGHT
    height = TOP + weeks * ROW + BOTTOM
    bars, labels, totals = [], [], []
    for index, week in enumerate(data.weeks):
        y = TOP + index * ROW + (ROW - BAR) / 2
        x = LEFT
        for category in data.categories:
            units = data.units.get((index, category), 0)
            if units <= 0:
                continue
            width = plot_w * units / top
            css = category_css(category)
            bars.append(
                Bar(round(x, 1), round(y, 1), round(width, 1), BAR, css, week, category, units)
            )
            x += width
        middle = round(y + BAR / 2, 1)
        labels.append(Tick(LEFT - 6, middle, week.isoformat(), week))
        totals.append(Tick(round(x + 4, 1), middle, str(data.total(index))))
    bottom = TOP + weeks * ROW
    scale = [
        Tick(round(LEFT + plot_w * part / 2, 1), bottom + 16, str(top * part // 2))
        for part in range(3)
    ]
    legend = [(category_css(c), c) for c in data.categories]
    return StackedChart(WIDTH, height, bars, scale, labels, totals, legend, TOP, bottom, LEFT)
