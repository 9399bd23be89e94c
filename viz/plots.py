"""Plain SVG plots for the training page: the loss curve and the decision boundary of a 2-input model.

No plotting library: each plot is a few hundred SVG elements written here, sized in px for a page
(text 13 px), coloured by class (the page's CSS takes its colours from `viz.style`). The training
page moves the loss curve's marker and recolours the boundary's cells epoch by epoch.

    loss_curve_svg([0.9, 0.5, 0.3])        -> (svg, the marker's (x, y) at each epoch)
    boundary_svg(points, labels, extent, signs, n)  -> svg of n × n cells coloured by the score's sign
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

TEXT_PX = 13
"""The plots' text size: above the 11 px minimum even when the page shrinks them a little."""
WIDTH, HEIGHT = 400, 300
MARGIN = (58, 16, 42, 40)  # left, right, bottom, top (px)


def _fmt(x: float) -> str:
    """A tick's number: 3 significant digits, a true minus sign."""
    if x == 0:
        return "0"
    return f"{x:.3g}".replace("-", "\u2212")


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        return [low]
    return [low + (high - low) * i / count for i in range(count + 1)]


def loss_curve_svg(
    losses: Sequence[Any], *, title: str = "loss per epoch", xlabel: str = "epoch"
) -> tuple[str, list[tuple[float, float]]]:
    """An SVG line of `losses` (epoch 1 first; log scale when they span more than 20×) and where a
    marker sits at each epoch, for the page to move it."""
    values = [float(v) for v in losses]
    if not values:
        raise ValueError("loss_curve_svg needs at least one loss")
    left, right, bottom, top = MARGIN
    plot_w, plot_h = WIDTH - left - right, HEIGHT - top - bottom
    positive = all(v > 0 for v in values)
    log = positive and max(values) / min(values) > 20
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    low = min(map(scale, values)) if log else min(0.0, min(values))
    high = max(map(scale, values))
    if high == low:
        high = low + 1
    n = len(values)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = top + plot_h * (1 - (scale(v) - low) / (high - low))
        return round(x, 1), round(y, 1)

    spots = [xy(i, v) for i, v in enumerate(values)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ad-plot" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(title)}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="{TEXT_PX}">',
        f'<text x="{left}" y="{top - 14}" class="p-title">{html.escape(title)}'
        f"{' (log scale)' if log else ''}</text>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="p-frame"/>',
    ]
    for t in _ticks(low, high):
        y = top + plot_h * (1 - (t - low) / (high - low))
        shown = _fmt(10**t) if log else _fmt(t)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="p-grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="p-tick">{shown}</text>')
    for i in sorted({0, (n - 1) // 2, n - 1}):
        x = spots[i][0]
        parts.append(
            f'<text x="{x}" y="{top + plot_h + 18}" text-anchor="middle" class="p-tick">{i + 1}</text>'
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" class="p-tick">{xlabel}</text>'
    )
    points = " ".join(f"{x},{y}" for x, y in spots)
    parts.append(f'<polyline points="{points}" class="p-line"/>')
    x0, y0 = spots[0]
    parts.append(f'<circle id="ad-loss-marker" cx="{x0}" cy="{y0}" r="6" class="p-marker"/>')
    parts.append("</svg>")
    return "\n".join(parts), spots


def boundary_svg(
    points: Sequence[Sequence[float]],
    labels: Sequence[Any],
    extent: tuple[float, float, float, float],
    signs: str,
    n: int,
    *,
    title: str = "decision boundary",
) -> str:
    """`n` × `n` cells over `extent` (x0, x1, y0, y1), each `pos` or `neg` by `signs` (row by row from
    the top, "+" or "-"), and the data points on top (label > 0: circles, else squares)."""
    if len(signs) != n * n:
        raise ValueError(f"boundary_svg: {n} × {n} cells need {n * n} signs, got {len(signs)}")
    left, right, bottom, top = MARGIN
    size = min(WIDTH - left - right, HEIGHT - top - bottom)
    x0, x1, y0, y1 = extent
    cell = size / n

    def place(x: float, y: float) -> tuple[float, float]:
        return left + size * (x - x0) / (x1 - x0), top + size * (1 - (y - y0) / (y1 - y0))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ad-plot" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(title)}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="{TEXT_PX}">',
        f'<text x="{left}" y="{top - 14}" class="p-title">{html.escape(title)}</text>',
        # Opaque cells in a translucent group: no seams where two cells meet.
        '<g id="ad-cells" opacity="0.22">',
    ]
    for k, sign in enumerate(signs):
        row, col = divmod(k, n)
        kind = "pos" if sign == "+" else "neg"
        parts.append(
            f'<rect x="{left + col * cell:.2f}" y="{top + row * cell:.2f}" width="{cell + 0.3:.2f}" '
            f'height="{cell + 0.3:.2f}" class="c-{kind}"/>'
        )
    parts.append("</g>")
    parts.append(f'<rect x="{left}" y="{top}" width="{size}" height="{size}" class="p-frame"/>')
    for value, x in ((x0, left), (x1, left + size)):
        parts.append(
            f'<text x="{x}" y="{top + size + 18}" text-anchor="middle" class="p-tick">{_fmt(value)}</text>'
        )
    for value, y in ((y0, top + size), (y1, top)):
        parts.append(
            f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" class="p-tick">{_fmt(value)}</text>'
        )
    parts.append(
        f'<text x="{left + size / 2}" y="{HEIGHT - 6}" text-anchor="middle" class="p-tick">x1</text>'
    )
    parts.append(f'<text x="{left - 40}" y="{top + size / 2}" class="p-tick">x2</text>')
    for (x, y), label in zip(points, labels, strict=True):
        px, py = place(float(x), float(y))
        if float(label) > 0:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.6" class="d-pos"/>')
        else:
            parts.append(
                f'<rect x="{px - 3.3:.1f}" y="{py - 3.3:.1f}" width="6.6" height="6.6" class="d-neg"/>'
            )
    # The key: what a cell's colour and a point's shape mean.
    kx = left + size + 14
    parts.append(f'<rect x="{kx}" y="{top + 4}" width="14" height="14" class="c-pos p-key"/>')
    parts.append(f'<text x="{kx + 20}" y="{top + 16}" class="p-tick">score &gt; 0</text>')
    parts.append(f'<rect x="{kx}" y="{top + 26}" width="14" height="14" class="c-neg p-key"/>')
    parts.append(f'<text x="{kx + 20}" y="{top + 38}" class="p-tick">score &lt; 0</text>')
    parts.append(f'<circle cx="{kx + 7}" cy="{top + 59}" r="4" class="d-pos"/>')
    parts.append(f'<text x="{kx + 20}" y="{top + 63}" class="p-tick">y = +1</text>')
    parts.append(f'<rect x="{kx + 3}" y="{top + 77}" width="8" height="8" class="d-neg"/>')
    parts.append(f'<text x="{kx + 20}" y="{top + 85}" class="p-tick">y = −1</text>')
    parts.append("</svg>")
    return "\n".join(parts)
