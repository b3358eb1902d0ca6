"""Charts drawn on the server as SVG: no script, no web font, no request off the machine.

Each chart is an ``<svg role="img">`` whose title and description say in words what it
shows (the figures themselves are also in a table beside it and in a CSV download), and
nothing depends on colour alone: bars below the zero line are losses by position, each
bar carries its value as text, the payback year is a labelled dashed line, and the
second series of a paired chart is hatched as well as coloured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .formatting import money, ratio

INK = "#0b0c0c"
GRID = "#b1b4b6"
BLUE = "#1d70b8"
RED = "#d4351c"
FONT = 'font-family="system-ui, sans-serif" font-size="13"'


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 x 10^k) giving about ``ticks`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * power:
            return step * power
    return 10 * power


def _axis_range(values: Sequence[float]) -> tuple[float, float, float]:
    low, high = min(0.0, *values), max(0.0, *values)
    step = nice_step(high - low)
    return math.floor(low / step) * step, math.ceil(high / step) * step or step, step


def short_money(value: float) -> str:
    """£1.2m, £350k, -£40k: axis labels must be short."""
    size = abs(value)
    sign = "-" if value < 0 else ""
    if size >= 1e6:
        return f"{sign}£{size / 1e6:,.1f}m".replace(".0m", "m")
    if size >= 1e3:
        return f"{sign}£{size / 1e3:,.0f}k"
    return money(value)


@dataclass(frozen=True)
class Frame:
    """The plotting area inside an SVG of ``width`` x ``height``."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int

    @property
    def inner_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> int:
        return self.height - self.top - self.bottom


def _svg(frame: Frame, chart_id: str, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {frame.width} {frame.height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{RED}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/>'
        f"</pattern></defs>"
    )
    # bandit B704: every text in the SVG (titles, labels, figures) is escaped where it is
    # written (escape() above and in each chart's body); the rest is markup made here
    return Markup(head + "".join(body) + "</svg>")  # nosec B704


def cashflow(
    years: Sequence[int], cumulative: Sequence[float], payback_year: float | None, chart_id: str
) -> Markup:
    """Cumulative discounted net fiscal position by year, marking the payback year."""
    frame = Frame(width=640, height=300, left=70, right=20, top=30, bottom=40)
    low, high, step = _axis_range(cumulative)

    def y(v: float) -> float:
        return frame.top + (high - v) / (high - low) * frame.inner_height

    slot = frame.inner_width / max(len(years), 1)
    body: list[str] = []
    tick = low
    while tick <= high + step / 2:
        body.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}" stroke="{INK if tick == 0 else GRID}" '
            f'stroke-width="{2 if tick == 0 else 1}"/>'
            f'<text x="{frame.left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(short_money(tick))}</text>"
        )
        tick += step
    for i, (year, value) in enumerate(zip(years, cumulative, strict=True)):
        x = frame.left + i * slot + slot * 0.2
        top, bottom = sorted((y(value), y(0.0)))
        fill = BLUE if value >= 0 else f"url(#{chart_id}-hatch)"
        body.append(
            f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.6:.1f}" '
            f'height="{max(bottom - top, 1):.1f}" fill="{fill}" stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{x + slot * 0.3:.1f}" y="{(top - 5) if value >= 0 else (bottom + 14):.1f}" '
            f'text-anchor="middle" fill="{INK}">{escape(short_money(value))}</text>'
            f'<text x="{x + slot * 0.3:.1f}" y="{frame.height - 12}" text-anchor="middle" '
            f'fill="{INK}">Year {year}</text>'
        )
    if payback_year is not None and payback_year in years:
        x = frame.left + years.index(int(payback_year)) * slot + slot * 0.1
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.top - 10}" '
            f'y2="{frame.height - frame.bottom}" stroke="{INK}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>'
            f'<text x="{x + 6:.1f}" y="{frame.top - 14}" fill="{INK}" font-weight="bold">'
            f"Payback: year {int(payback_year)}</text>"
        )
    points = "; ".join(f"year {t}: {money(v)}" for t, v in zip(years, cumulative, strict=True))
    pays = (
        f"Payback in year {int(payback_year)}."
        if payback_year is not None
        else "No payback within the appraisal period."
    )
    return _svg(
        frame,
        chart_id,
        "Cumulative discounted net fiscal position by year",
        f"Fiscal benefits minus costs, discounted and added up year by year. {points}. {pays}",
        body,
    )


def paired_bars(
    labels: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    names: tuple[str, str],
    chart_id: str,
    title: str,
) -> Markup:
    """Two horizontal bars per label (e.g. what an agency saves and what it pays)."""
    frame = Frame(
        width=640, height=50 + 56 * max(len(labels), 1), left=190, right=110, top=10, bottom=10
    )
    top_value = max([0.0, *first, *second]) or 1.0
    scale = frame.inner_width / top_value
    body: list[str] = []
    for i, label in enumerate(labels):
        y0 = frame.top + i * 56
        body.append(
            f'<text x="{frame.left - 8}" y="{y0 + 26}" text-anchor="end" fill="{INK}">'
            f"{escape(label[:28])}</text>"
        )
        for k, (values, fill) in enumerate(((first, BLUE), (second, f"url(#{chart_id}-hatch)"))):
            width = max(values[i], 0.0) * scale
            yk = y0 + 6 + k * 22
            body.append(
                f'<rect x="{frame.left}" y="{yk}" width="{max(width, 1):.1f}" height="18" '
                f'fill="{fill}" stroke="{INK}" stroke-width="0.5"/>'
                f'<text x="{frame.left + width + 6:.1f}" y="{yk + 14}" fill="{INK}">'
                f"{escape(names[k])} {escape(short_money(values[i]))}</text>"
            )
    desc = "; ".join(
        f"{label}: {names[0]} {money(a)}, {names[1]} {money(b)}"
        for label, a, b in zip(labels, first, second, strict=True)
    )
    return _svg(frame, chart_id, title, desc + ".", body)


def tornado(
    labels: Sequence[str],
    lows: Sequence[float],
    highs: Sequence[float],
    central: float,
    chart_id: str,
) -> Markup:
    """FROI with each input at its low and high end, around the central FROI."""
    frame = Frame(
        width=640, height=40 + 30 * max(len(labels), 1), left=230, right=70, top=24, bottom=8
    )
    ends = [v for v in (*lows, *highs, central) if math.isfinite(v)]
    lo, hi = (min(ends), max(ends)) if ends else (0.0, 1.0)
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return frame.left + (v - lo) / span * frame.inner_width

    body = [
        f'<line x1="{x(central):.1f}" x2="{x(central):.1f}" y1="{frame.top - 6}" '
        f'y2="{frame.height - frame.bottom}" stroke="{INK}" stroke-width="2"/>'
        f'<text x="{x(central):.1f}" y="{frame.top - 10}" text-anchor="middle" fill="{INK}">'
        f"central {escape(ratio(central))}</text>"
    ]
    for i, (label, a, b) in enumerate(zip(labels, lows, highs, strict=True)):
        yi = frame.top + i * 30
        left, right = sorted((x(a), x(b)))
        body.append(
            f'<text x="{frame.left - 8}" y="{yi + 16}" text-anchor="end" fill="{INK}">'
            f"{escape(label[:34])}</text>"
            f'<rect x="{left:.1f}" y="{yi + 4}" width="{max(right - left, 1):.1f}" height="18" '
            f'fill="{BLUE}" stroke="{INK}" stroke-width="0.5"/>'
        )
    desc = "; ".join(
        f"{label}: from {ratio(a)} to {ratio(b)}"
        for label, a, b in zip(labels, lows, highs, strict=True)
    )
    return _svg(frame, chart_id, "How FROI moves with each uncertain input", desc + ".", body)


def histogram(
    froms: Sequence[float], tos: Sequence[float], counts: Sequence[int], chart_id: str
) -> Markup:
    """How many simulations gave each FROI, with the break-even line at £1 per £1.

    Bars at or above break-even are solid, bars below it hatched, and the dashed line is
    labelled, so the two sides are told apart without colour.
    """
    frame = Frame(width=640, height=300, left=60, right=20, top=34, bottom=48)
    lo, hi = froms[0], tos[-1]
    span = (hi - lo) or 1.0
    top_count = max(max(counts), 1)

    def x(v: float) -> float:
        return frame.left + (v - lo) / span * frame.inner_width

    def y(n: float) -> float:
        return frame.top + (1 - n / top_count) * frame.inner_height

    body = [
        f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{y(0):.1f}" '
        f'y2="{y(0):.1f}" stroke="{INK}" stroke-width="1"/>'
    ]
    label_every = max(1, math.ceil(len(froms) / 8))
    for i, (a, b, n) in enumerate(zip(froms, tos, counts, strict=True)):
        fill = BLUE if a >= 1.0 else f"url(#{chart_id}-hatch)"
        body.append(
            f'<rect x="{x(a) + 1:.1f}" y="{y(n):.1f}" width="{max(x(b) - x(a) - 2, 1):.1f}" '
            f'height="{max(y(0) - y(n), 0):.1f}" fill="{fill}" stroke="{INK}" '
            f'stroke-width="0.5"/>'
        )
        if i % label_every == 0:
            body.append(
                f'<text x="{x(a):.1f}" y="{frame.height - frame.bottom + 18}" '
                f'text-anchor="middle" fill="{INK}">{escape(f"{a:g}")}</text>'
            )
    body.append(
        f'<text x="{x(hi):.1f}" y="{frame.height - frame.bottom + 18}" text-anchor="end" '
        f'fill="{INK}">{escape(f"{hi:g}")}</text>'
        f'<text x="{frame.left + frame.inner_width / 2:.1f}" y="{frame.height - 6}" '
        f'text-anchor="middle" fill="{INK}">FROI (£ back per £1 spent)</text>'
        f'<text x="{frame.left - 8}" y="{y(top_count) + 4:.1f}" text-anchor="end" '
        f'fill="{INK}">{top_count:,}</text>'
        f'<text x="{frame.left - 8}" y="{y(0) + 4:.1f}" text-anchor="end" fill="{INK}">0</text>'
    )
    if lo <= 1.0 <= hi:
        body.append(
            f'<line x1="{x(1.0):.1f}" x2="{x(1.0):.1f}" y1="{frame.top - 12}" '
            f'y2="{y(0):.1f}" stroke="{INK}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{x(1.0) + 6:.1f}" y="{frame.top - 16}" fill="{INK}" font-weight="bold">'
            "Break-even: £1 per £1</text>"
        )
    total = sum(counts)
    below = sum(n for a, n in zip(froms, counts, strict=True) if a < 1.0)
    desc = (
        f"{total:,} simulations of FROI from {lo:g} to {hi:g}; "
        f"{below:,} below break-even (£1 per £1), {total - below:,} at or above it. "
        + "; ".join(
            f"{a:g} to {b:g}: {n:,}" for a, b, n in zip(froms, tos, counts, strict=True) if n
        )
        + "."
    )
    return _svg(frame, chart_id, "How the simulated FROI is spread", desc, body)
