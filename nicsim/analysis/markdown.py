"""Numbers and tables as Markdown, for every report: comparisons, screens and replications."""

from __future__ import annotations

import math

import pandas as pd


def number(x: float, decimals: int = 3) -> str:
    """``x`` to ``decimals`` places; n/a when missing, and no minus sign on a 0."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


MAX_DECIMALS = 12  # a width below 1e-11 is rounding, not a result


def decimals_for(low: float, high: float) -> int:
    """At least 3, and enough for the interval's width to show two significant digits, so a
    difference of 0.0001 with a narrow interval does not read 0.000 [0.000, 0.000]."""
    width = high - low
    if not (width > 0 and math.isfinite(width)):
        return 3
    return min(max(3, 1 - math.floor(math.log10(width))), MAX_DECIMALS)


def estimate(mean: float, low: float, high: float, decimals: int = 3) -> str:
    """``0.612 [0.546, 0.677]``; the mean alone when there are too few values for an
    interval."""
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return f"{number(mean)} (no CI)"
    return f"{number(mean, decimals)} [{number(low, decimals)}, {number(high, decimals)}]"


def estimate_at_width(mean: float, low: float, high: float) -> str:
    """An estimate to the decimals its interval's width needs: for nicsim's own runs (a
    replication's table keeps the published values' 3)."""
    return estimate(mean, low, high, decimals_for(low, high))


def p_value(p: float) -> str:
    """``p`` to 3 places, or <0.001."""
    if math.isnan(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table_row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def markdown_table(table: pd.DataFrame, decimals: int = 3) -> str:
    """A DataFrame as a Markdown table, numbers to ``decimals`` places."""
    lines = [table_row([str(c) for c in table.columns]), table_row(["---"] * len(table.columns))]
    for values in table.itertuples(index=False):
        cells = [number(v, decimals) if isinstance(v, float) else str(v) for v in values]
        lines.append(table_row(cells))
    return "\n".join(lines)
