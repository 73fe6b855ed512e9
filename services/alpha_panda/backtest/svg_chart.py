"""Inline SVG line charts over the trading-time axis: no script, no library, same bytes each run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from alpha_panda.backtest.trading_time import TradingTimeAxis

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
TOTAL_COLOUR = "#222222"
WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 40


@dataclass(frozen=True)
class Series:
    """One line: its name, colour and (axis position, value) points in time order."""

    name: str
    colour: str
    points: Sequence[tuple[float, float]]
    width: float = 1.5


def series_colour(index: int) -> str:
    """Return the colour of the `index`-th strategy, the same in every chart."""
    return PALETTE[index % len(PALETTE)]


def nice_step(span: float, target_ticks: int = 5) -> float:
    """Return a round grid step (1, 2, 2.5 or 5 times a power of ten) for a value span."""
    if span <= 0:
        return 1.0
    raw = span / target_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def _number(value: float) -> str:
    text = f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:,.2f}"
    return text.replace("-", "\u2212")


def line_chart(title: str, axis: TradingTimeAxis, series: Sequence[Series]) -> str:
    """Return an `<svg>` element drawing `series` against IST market time, zero line included."""
    values = [value for line in series for _, value in line.points]
    low, high = min([0.0, *values]), max([0.0, *values])
    step = nice_step(high - low)
    first_tick, last_tick = math.floor(low / step), math.ceil(high / step)
    if last_tick == first_tick:
        last_tick += 1
    low, high = first_tick * step, last_tick * step
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(position: float) -> float:
        return LEFT + plot_width * position / axis.length

    def y(value: float) -> float:
        return TOP + plot_height * (high - value) / (high - low)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"'
        f' role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_width}" height="{plot_height}" class="plot"/>',
    ]
    for tick in range(first_tick, last_tick + 1):
        value = tick * step
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"'
            f' class="{"zero" if tick == 0 else "grid"}"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" class="y-label">{_number(value)}</text>'
        )
    for mark in axis.marks():
        parts.append(
            f'<line x1="{x(mark.position):.1f}" x2="{x(mark.position):.1f}" y1="{TOP}"'
            f' y2="{HEIGHT - BOTTOM}" class="grid"/>'
            f'<text x="{x(mark.position):.1f}" y="{HEIGHT - BOTTOM + 16}"'
            f' class="x-label">{escape(mark.label)}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_width / 2:.1f}" y="{HEIGHT - 6}" class="axis-title">'
        "exchange time (IST)</text>"
    )
    for line in series:
        if not line.points:
            continue
        path = " ".join(f"{x(position):.1f},{y(value):.1f}" for position, value in line.points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{line.colour}"'
            f' stroke-width="{line.width}" stroke-linejoin="round">'
            f"<title>{escape(line.name)}</title></polyline>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
