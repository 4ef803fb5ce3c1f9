"""The bar charts drawn on the server: where each bar goes for hand-computed figures, the months a
chart covers, the short labels on its bars, and what `{% bar_chart %}` writes into a page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.template import Context, Template

from core.charts import BASELINE, PLOT_HEIGHT, PLOT_TOP, ChartRow, bar_chart_geometry, month_rows, month_starts
from core.templatetags.core_tags import money_short

ROWS = [
    ChartRow("Jan", "January 2025", 300_00, note="2025"),
    ChartRow("Feb", "February 2025", 0),
    ChartRow("Mar", "March 2025", 150_00),
    ChartRow("Apr", "April 2025", 1),
]


def test_the_largest_figure_is_the_full_height_and_the_others_in_proportion():
    bars = bar_chart_geometry(ROWS).bars
    # 496 units wide: 8 each side and four slots of 120, each bar 72 wide in the middle of its slot
    assert [(bar.x, bar.width) for bar in bars] == [(32, 72), (152, 72), (272, 72), (392, 72)]
    assert [bar.centre for bar in bars] == [68, 188, 308, 428]
    # $300 is the full plot height (150 units, from y=22 down to the axis at y=172); a zero month
    # has no height; $150 is half; one cent beside $300 still shows as a sliver, never as nothing
    assert (PLOT_TOP, PLOT_HEIGHT, BASELINE) == (22, 150, 172)
    assert [bar.height for bar in bars] == [150, 0, 75, 1]
    assert [bar.y for bar in bars] == [22, 172, 97, 171]
    # each value sits just above its bar
    assert bars[0].value_y < PLOT_TOP and bars[1].value_y < BASELINE


def test_the_chart_knows_its_total_and_its_tallest_bar():
    chart = bar_chart_geometry(ROWS)
    assert chart.total_cents == 450_01
    assert chart.peak.row.title == "January 2025"
    assert bar_chart_geometry([ChartRow("Jan", "January 2025", 0)]).peak is None
    assert bar_chart_geometry([]).bars == []


def test_a_negative_figure_is_refused():
    with pytest.raises(ValueError, match="zero or more"):
        bar_chart_geometry([ChartRow("Jan", "January 2025", -1)])


def test_twelve_months_end_with_this_one_and_cross_the_new_year():
    months = month_starts(12, today=date(2025, 3, 20))
    assert months[0] == date(2024, 4, 1) and months[-1] == date(2025, 3, 1)
    assert len(months) == 12 and months == sorted(months)
    rows = month_rows({date(2025, 1, 1): 900_00, date(2025, 3, 1): 225_00}, months)
    assert [row.label for row in rows] == [
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
        "Jan",
        "Feb",
        "Mar",
    ]
    assert [row.cents for row in rows][-3:] == [900_00, 0, 225_00]
    assert rows[-3].title == "January 2025"
    # the year is written under the first month and under January
    assert [(row.label, row.note) for row in rows if row.note] == [("Apr", "2024"), ("Jan", "2025")]


@pytest.mark.parametrize(
    ("cents", "label"),
    [
        (0, "$0"),
        (950_00, "$950"),
        (999_49, "$999"),
        (999_50, "$1k"),
        (1_240_00, "$1.2k"),
        (48_300_00, "$48k"),
        (999_700_00, "$1M"),
        (1_250_000_00, "$1.3M"),
    ],
)
def test_a_bar_is_labelled_with_its_figure_rounded_to_three_digits(cents, label):
    assert money_short(cents) == label


def render(rows) -> str:
    template = Template(
        '{% load charts %}{% bar_chart rows caption="Paid each month" chart_id="paid" empty="Nothing paid yet." %}'
    )
    return template.render(Context({"rows": rows}))


def test_the_chart_is_an_image_named_by_a_summary_with_its_figures_in_a_table():
    html = render(ROWS)
    svg = re.search(r"<svg\b[^>]*>", html).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="paid-title"' in svg and 'viewBox="0 0 496 ' in svg
    assert (
        '<title id="paid-title">Paid each month, January 2025 to April 2025: $450.01 in all; '
        "the most, $300.00, in January 2025.</title>"
    ) in html
    # every bar says its month and figure without colour: a label under it, its value above it
    assert "<title>March 2025: $150.00</title>" in html
    assert re.findall(r'class="bar-chart-label"[^>]*>(\w+)<', html) == ["Jan", "Feb", "Mar", "Apr"]
    assert re.findall(r'class="bar-chart-value"[^>]*>([^<]+)<', html) == ["$300", "$0", "$150", "$0"]
    # no bar is drawn for a zero month
    assert html.count("<rect") == 3
    # the same figures, as a table behind "Show as a table"
    table = html[html.index("<summary>Show as a table</summary>") :]
    cells = re.findall(r"<t[hd][^>]*>([^<]+)</t[hd]>", table)
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    assert rows == [
        ["Month", "Amount"],
        ["January 2025", "$300.00"],
        ["February 2025", "$0.00"],
        ["March 2025", "$150.00"],
        ["April 2025", "$0.01"],
        ["Total", "$450.01"],
    ]


def test_the_chart_needs_no_inline_style_for_the_content_security_policy():
    html = render(ROWS)
    assert "style=" not in html and "<style" not in html


def test_a_chart_of_nothing_but_zeros_is_a_sentence_instead():
    html = render([ChartRow("Jan", "January 2025", 0), ChartRow("Feb", "February 2025", 0)])
    assert "<svg" not in html and "<table" not in html
    assert html.strip() == '<p class="muted">Nothing paid yet.</p>'
