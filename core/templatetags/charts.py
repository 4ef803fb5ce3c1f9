"""`{% bar_chart rows caption="…" %}`: a bar chart of money drawn as SVG on the server, with the
same figures in a table beside it, or a sentence instead when every figure is zero."""

from __future__ import annotations

from collections.abc import Sequence

from django import template

from core.charts import ChartRow, bar_chart_geometry
from core.templatetags.core_tags import money

register = template.Library()


@register.inclusion_tag("core/_bar_chart.html")
def bar_chart(
    rows: Sequence[ChartRow],
    *,
    caption: str,
    chart_id: str,
    empty: str,
    currency: str = "USD",
    row_heading: str = "Month",
    value_heading: str = "Amount",
) -> dict:
    """`chart_id` names the chart's parts on the page (two charts need two); `empty` is what a
    person reads instead of a chart of nothing but zeros."""
    chart = bar_chart_geometry(rows)
    peak = chart.peak
    summary = ""
    if peak is not None:
        summary = (
            f"{caption}, {chart.bars[0].row.title} to {chart.bars[-1].row.title}: "
            f"{money(chart.total_cents, currency)} in all; the most, {money(peak.row.cents, currency)}, "
            f"in {peak.row.title}."
        )
    return {
        "chart": chart,
        "has_values": peak is not None,
        "caption": caption,
        "summary": summary,
        "chart_id": chart_id,
        "empty": empty,
        "currency": currency,
        "row_heading": row_heading,
        "value_heading": value_heading,
    }
