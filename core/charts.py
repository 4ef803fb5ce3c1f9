"""Bar charts drawn on the server as SVG: the calendar months a chart covers, and where each bar of
(label, cents) rows goes. Templates draw them with `{% bar_chart %}` (core/templatetags/charts.py).

All geometry is in whole units of the SVG's viewBox, so no float reaches a template (where a
locale could print a decimal comma) and no money figure is ever a float.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.formats import date_format

WIDTH = 496  # of the viewBox; the SVG scales to the width of its box
SIDE = 8  # on each side, so the value over the first or last bar is not cut off
PLOT_TOP = 22  # room above the tallest bar for its value
PLOT_HEIGHT = 150  # the tallest bar
BASELINE = PLOT_TOP + PLOT_HEIGHT
LABEL_Y = BASELINE + 18  # the month under its bar
NOTE_Y = LABEL_Y + 16  # the year under the month, where a year starts
HEIGHT = NOTE_Y + 8
VALUE_GAP = 6  # between a bar's top and its value


@dataclass(frozen=True)
class ChartRow:
    """One bar: its short label on the axis, its name in full (the table, the tooltip) and its value."""

    label: str  # "Mar"
    title: str  # "March 2025"
    cents: int  # never negative
    note: str = ""  # a second line under the label: the year, where one starts


@dataclass(frozen=True)
class Bar:
    row: ChartRow
    x: int
    y: int
    width: int
    height: int  # 0 for a zero value; at least 1 for any other, so it never looks like nothing

    @property
    def centre(self) -> int:
        return self.x + self.width // 2

    @property
    def value_y(self) -> int:
        return self.y - VALUE_GAP


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = BASELINE
    label_y: int = LABEL_Y
    note_y: int = NOTE_Y

    @property
    def total_cents(self) -> int:
        return sum(bar.row.cents for bar in self.bars)

    @property
    def peak(self) -> Bar | None:
        """The tallest bar (the first of equals), or None when every value is zero."""
        tallest = max(self.bars, key=lambda bar: bar.row.cents, default=None)
        return tallest if tallest is not None and tallest.row.cents > 0 else None


def bar_chart_geometry(rows: Sequence[ChartRow]) -> BarChart:
    """Bars side by side across the width, each in an equal slot; the largest value is the full
    plot height and the others in proportion, rounded to the nearest unit."""
    if any(row.cents < 0 for row in rows):
        raise ValueError("A bar chart shows amounts of zero or more.")
    if not rows:
        return BarChart(bars=[])
    slot = (WIDTH - 2 * SIDE) // len(rows)
    bar_width = max(1, slot * 3 // 5)
    peak = max(row.cents for row in rows)
    bars = []
    for index, row in enumerate(rows):
        height = 0 if row.cents == 0 else max(1, (PLOT_HEIGHT * row.cents + peak // 2) // peak)
        bars.append(
            Bar(
                row=row,
                x=SIDE + index * slot + (slot - bar_width) // 2,
                y=BASELINE - height,
                width=bar_width,
                height=height,
            )
        )
    return BarChart(bars=bars)


def month_starts(count: int = 12, *, today: date | None = None) -> list[date]:
    """The first day of each of the last `count` calendar months, oldest first, this month last."""
    today = today or timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def start_of(month: date) -> datetime:
    """Midnight at the start of `month` in the current time zone: where a month's totals begin."""
    return timezone.make_aware(datetime.combine(month, time.min))


def month_rows(totals: Mapping[date, int], months: Sequence[date]) -> list[ChartRow]:
    """One row per month in order, a month without a total at zero; the year is noted under the
    first month and under each January."""
    return [
        ChartRow(
            label=date_format(month, "M"),
            title=date_format(month, "F Y"),
            cents=totals.get(month, 0),
            note=str(month.year) if index == 0 or month.month == 1 else "",
        )
        for index, month in enumerate(months)
    ]
