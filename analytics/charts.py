"""Server-side SVG charts for the dashboard: no JavaScript, no CDN, readable without a network.

Every label is HTML-escaped (provider, workspace and ZIP names come from outside).
"""
from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ["#417690", "#e08e0b", "#5b9e47", "#b94a48", "#7a5c99", "#3a87ad"]


def _number(value, unit=""):
    value = float(value)
    text = f"{value:,.0f}" if value == int(value) or abs(value) >= 100 else f"{value:,.2f}"
    return f"{unit}{text}" if unit == "$" else f"{text}{unit}"


def bar_chart(rows, *, unit="", width=640, bar_height=22, label_width=170):
    """Horizontal bars: rows of (label, value). Empty data renders a short note instead."""
    if not rows:
        return mark_safe('<p class="help">No data in this range.</p>')
    peak = max(float(value) for _, value in rows) or 1.0
    plot = width - label_width - 90
    height = len(rows) * (bar_height + 6) + 6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">'
    ]
    for index, (label, value) in enumerate(rows):
        y = 6 + index * (bar_height + 6)
        length = max(1.0, plot * float(value) / peak) if float(value) else 0
        text_y = y + bar_height * 0.7
        parts.append(
            f'<text x="{label_width - 6}" y="{text_y:.1f}" text-anchor="end">{escape(str(label))[:40]}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{PALETTE[0]}">'
            f"<title>{escape(str(label))}: {escape(_number(value, unit))}</title></rect>"
            f'<text x="{label_width + length + 6:.1f}" y="{text_y:.1f}">{escape(_number(value, unit))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(labels, series, *, width=720, height=260):
    """One line per series over the same x labels (dates); series: {name: [value per label]}."""
    if not labels or not any(any(values) for values in series.values()):
        return mark_safe('<p class="help">No data in this range.</p>')
    left, right, top, bottom = 50, 120, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(values) for values in series.values()) or 1
    step = plot_w / max(1, len(labels) - 1)

    def point(index, value):
        return f"{left + index * step:.1f},{top + plot_h - plot_h * value / peak:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 10}" text-anchor="end">{escape(_number(peak))}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for index in sorted({0, len(labels) // 2, len(labels) - 1}):
        anchor = "start" if index == 0 else "end" if index == len(labels) - 1 else "middle"
        parts.append(
            f'<text x="{left + index * step:.1f}" y="{height - 8}" text-anchor="{anchor}">{escape(str(labels[index]))}</text>'
        )
    for number, (name, values) in enumerate(series.items()):
        color = PALETTE[number % len(PALETTE)]
        points = " ".join(point(index, value) for index, value in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}">'
                     f'<title>{escape(name)}</title></polyline>')
        legend_y = top + 14 + number * 18
        parts.append(
            f'<rect x="{left + plot_w + 14}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>'
            f'<text x="{left + plot_w + 32}" y="{legend_y}">{escape(name)} ({escape(_number(sum(values)))})</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
