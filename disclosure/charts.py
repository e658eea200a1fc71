"""Small bar charts drawn as inline SVG on the server: no JavaScript, no CDN.

Each function returns safe markup; every label is escaped.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

# Distinguishable on screen and in greyscale print (Okabe–Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]
FONT = 'font-family="sans-serif" font-size="12"'


def _ticks(maximum: int) -> list[int]:
    if maximum <= 0:
        return [0]
    step = 1
    while maximum / step > 5:
        for factor in (2, 5, 10):
            if maximum / (step * factor) <= 5:
                step *= factor
                break
        else:
            step *= 10
    return list(range(0, maximum + step, step))


def grouped_bars(groups: list[str], series: list[tuple[str, list[int]]], *, title: str,
                 width: int = 760, height: int = 280) -> str:
    """Vertical bars: one group per x label, one bar per series in each group."""
    left, right, top, bottom = 40, 10, 10, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _ticks(max((v for _, values in series for v in values), default=0))
    top_value = ticks[-1] or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for tick in ticks:
        y = top + plot_h - plot_h * tick / top_value
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
                     f"{tick}</text>")
    group_w = plot_w / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for g, label in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top_value
            x, y = x0 + s * bar_w, top + plot_h - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} '
                         f"{escape(label)}：{value}</title></rect>")
        parts.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle" {FONT}>{escape(label)}</text>')
    x = left
    for s, (name, _) in enumerate(series):
        y = height - 14
        parts.append(f'<rect x="{x}" y="{y - 10}" width="10" height="10" '
                     f'fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" {FONT}>{escape(name)}</text>')
        x += 24 + 13 * len(name)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def horizontal_bars(rows: list[tuple[str, int]], *, title: str, width: int = 760) -> str:
    """One horizontal bar per row, label on the left and value at the bar's end."""
    label_w, right, bar_h, gap = 200, 50, 18, 8
    height = max(len(rows), 1) * (bar_h + gap) + gap
    top_value = max((v for _, v in rows), default=0) or 1
    plot_w = width - label_w - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = plot_w * value / top_value
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" {FONT}>'
                     f"{escape(label)}</text>")
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                     f'fill="{PALETTE[0]}"><title>{escape(label)}：{value}</title></rect>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" {FONT}>{value}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
