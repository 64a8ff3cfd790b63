"""Charts for the console as inline SVG, drawn on the server: no script, no library, nothing from a CDN.

Every chart is an image with a name (`role="img"`, a `<title>` and a `<desc>` saying what it shows), labelled axes,
and a tooltip per bar or point; the page puts the same figures in a table beside it, which is what a screen reader
reads in full. Marks differ in shape and dash as well as colour, so that no figure depends on seeing colour.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import slugify

WIDTH = 640
LINE_HEIGHT = 300
BAR_HEIGHT = 280
ROW_HEIGHT = 28  # a horizontal bar's band
MARGIN = {"top": 16, "right": 24, "bottom": 56, "left": 48}
LABEL_MARGIN = 150  # left margin of a horizontal bar chart: room for the category names
# Dashes for the series of a line chart, in order: told apart without colour.
DASHES = ("", "6 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "diamond", "triangle")


def nice_ceiling(value, ticks=5):
    """The smallest round number (1, 2 or 5 times a power of ten, times `ticks`) at or above `value`: the top of an
    axis whose `ticks` steps are round numbers."""
    if value <= 0:
        return ticks
    raw_step = value / ticks
    power = 10 ** math.floor(math.log10(raw_step))
    for multiple in (1, 2, 5, 10):
        step = multiple * power
        if step >= raw_step:
            break
    # Counts are whole: a step below one would label the axis 0.2, 0.4 …
    step = max(step, 1)
    return step * ticks


def _number(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def _svg(chart_id, title, description, width, height, body):
    # Every text in `body` and here went through escape(); the rest is numbers and our own markup.
    svg = (
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{''.join(body)}</svg>"
    )
    return mark_safe(svg)  # noqa: S308


def _y_axis(top, bottom, left, right, y_max, ticks, label):
    parts = []
    for index in range(ticks + 1):
        value = y_max * index / ticks
        y = bottom - (bottom - top) * index / ticks
        parts.append(f'<line class="chart__grid" x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="chart__tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>'
        )
    middle = (top + bottom) / 2
    parts.append(
        f'<text class="chart__axis-label" transform="translate(12 {middle:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(label)}</text>'
    )
    return parts


def bar_chart(*, title, bars, x_label, y_label, horizontal=False, ticks=None, chart_id=None):
    """Bars of whole counts: `bars` is [(label, value)], in the order shown. Horizontal bars suit long labels (the
    categories); vertical ones a sequence (months), where `ticks` may give the axis shorter labels ("Jan") than
    the bars' own ("Jan 2026", in their tooltips and description)."""
    chart_id = chart_id or f"chart-{slugify(title)}"
    values = [value for _, value in bars]
    total = sum(values)
    description = f"{y_label} by {x_label.lower()}: " + (
        "; ".join(f"{label}: {value}" for label, value in bars) if bars else "no figures"
    )
    top_value = nice_ceiling(max(values, default=0))
    if horizontal:
        return _horizontal_bars(chart_id, title, description, bars, top_value, x_label, y_label)
    left, right = MARGIN["left"], WIDTH - MARGIN["right"]
    top, bottom = MARGIN["top"], BAR_HEIGHT - MARGIN["bottom"]
    body = _y_axis(top, bottom, left, right, top_value, 5, y_label)
    band = (right - left) / max(len(bars), 1)
    ticks = ticks or [label for label, _ in bars]
    for index, (label, value) in enumerate(bars):
        height = (bottom - top) * value / top_value
        x = left + band * index + band * 0.15
        body.append(
            f'<rect class="chart__bar" x="{x:.1f}" y="{bottom - height:.1f}" width="{band * 0.7:.1f}" '
            f'height="{height:.1f}" data-value="{value}"><title>{escape(label)}: {value}</title></rect>'
        )
        body.append(
            f'<text class="chart__tick" x="{x + band * 0.35:.1f}" y="{bottom + 16}" '
            f'text-anchor="middle">{escape(ticks[index])}</text>'
        )
    body.append(f'<line class="chart__axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>')
    body.append(
        f'<text class="chart__axis-label" x="{(left + right) / 2:.1f}" y="{BAR_HEIGHT - 12}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    if not total:
        body.append(_nothing_yet((left + right) / 2, (top + bottom) / 2))
    return _svg(chart_id, title, description, WIDTH, BAR_HEIGHT, body)


def _horizontal_bars(chart_id, title, description, bars, top_value, x_label, y_label):
    left, right = LABEL_MARGIN, WIDTH - MARGIN["right"]
    top = MARGIN["top"] + 8
    bottom = top + ROW_HEIGHT * max(len(bars), 1)
    height = bottom + 48
    body = []
    for index in range(6):
        x = left + (right - left) * index / 5
        body.append(f'<line class="chart__grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}"/>')
        body.append(
            f'<text class="chart__tick" x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{_number(top_value * index / 5)}</text>"
        )
    for index, (label, value) in enumerate(bars):
        width = (right - left) * value / top_value
        y = top + ROW_HEIGHT * index
        body.append(
            f'<rect class="chart__bar" x="{left}" y="{y + 5}" width="{width:.1f}" height="{ROW_HEIGHT - 10}" '
            f'data-value="{value}"><title>{escape(label)}: {value}</title></rect>'
        )
        body.append(
            f'<text class="chart__tick" x="{left - 6}" y="{y + ROW_HEIGHT / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    body.append(f'<line class="chart__axis" x1="{left}" x2="{left}" y1="{top}" y2="{bottom}"/>')
    body.append(
        f'<text class="chart__axis-label" x="{(left + right) / 2:.1f}" y="{height - 8}" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    body.append(
        f'<text class="chart__axis-label" x="{left - 6}" y="{top - 4}" text-anchor="end">{escape(x_label)}</text>'
    )
    if not sum(value for _, value in bars):
        body.append(_nothing_yet((left + right) / 2, (top + bottom) / 2))
    return _svg(chart_id, title, description, WIDTH, height, body)


def _nothing_yet(x, y):
    return f'<text class="chart__empty" x="{x:.1f}" y="{y:.1f}" text-anchor="middle">Nothing to show yet</text>'


def _marker(shape, x, y, tooltip):
    tip = f"<title>{escape(tooltip)}</title>"
    if shape == "square":
        return f'<rect class="chart__point" x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7">{tip}</rect>'
    if shape == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon class="chart__point" points="{points}">{tip}</polygon>'
    if shape == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon class="chart__point" points="{points}">{tip}</polygon>'
    return f'<circle class="chart__point" cx="{x:.1f}" cy="{y:.1f}" r="4">{tip}</circle>'


def line_chart(*, title, labels, series, x_label, y_label, y_max=100, ticks=None, chart_id=None):
    """Lines over a sequence of `labels` (months): `series` is [(name, [value or None per label])]; a missing value
    breaks its line. Scores run from 0 to `y_max`. `ticks`: shorter labels for the axis, as for bar_chart."""
    chart_id = chart_id or f"chart-{slugify(title)}"
    left, right = MARGIN["left"], WIDTH - MARGIN["right"]
    legend_rows = len(series) if len(series) > 1 else 0
    top, bottom = MARGIN["top"] + 18 * legend_rows, LINE_HEIGHT - MARGIN["bottom"] + 18 * legend_rows
    height = LINE_HEIGHT + 18 * legend_rows
    described = []
    for name, values in series:
        shown = [f"{label}: {value}" for label, value in zip(labels, values, strict=True) if value is not None]
        described.append(f"{name} — " + ("; ".join(shown) if shown else "no figures"))
    description = f"{y_label} by {x_label.lower()}. " + ". ".join(described)
    body = _y_axis(top, bottom, left, right, y_max, 5, y_label)
    step = (right - left) / max(len(labels) - 1, 1)

    def x_of(index):
        return left + step * index if len(labels) > 1 else (left + right) / 2

    def y_of(value):
        return bottom - (bottom - top) * value / y_max

    for index, label in enumerate(ticks or labels):
        body.append(
            f'<text class="chart__tick" x="{x_of(index):.1f}" y="{bottom + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for number, (name, values) in enumerate(series):
        dash, shape = DASHES[number % len(DASHES)], MARKERS[number % len(MARKERS)]
        path, pen_down = [], False
        for index, value in enumerate(values):
            if value is None:
                pen_down = False
                continue
            path.append(f"{'L' if pen_down else 'M'}{x_of(index):.1f} {y_of(value):.1f}")
            pen_down = True
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<g class="chart__series chart__series--{number}" data-series="{escape(name)}">'
            f'<path class="chart__line" d="{" ".join(path)}"{dashed}/>'
        )
        for index, value in enumerate(values):
            if value is not None:
                body.append(_marker(shape, x_of(index), y_of(value), f"{name}, {labels[index]}: {value}"))
        body.append("</g>")
        if legend_rows:
            y = MARGIN["top"] + 18 * number
            body.append(
                f'<g class="chart__legend chart__series--{number}"><line class="chart__line" x1="{left}" '
                f'x2="{left + 28}" y1="{y + 6}" y2="{y + 6}"{dashed}/>{_marker(shape, left + 14, y + 6, name)}'
                f'<text class="chart__tick" x="{left + 36}" y="{y + 10}">{escape(name)}</text></g>'
            )
    body.append(f'<line class="chart__axis" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>')
    body.append(
        f'<text class="chart__axis-label" x="{(left + right) / 2:.1f}" y="{height - 12}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    if not any(value is not None for _, values in series for value in values):
        body.append(_nothing_yet((left + right) / 2, (top + bottom) / 2))
    return _svg(chart_id, title, description, WIDTH, height, body)


def trend_in_words(points, *, what="Score"):
    """`points` [(label, value)] as a sentence: where it started, where it is, and which way it went."""
    known = [(label, value) for label, value in points if value is not None]
    if not known:
        return f"{what}: no trend yet"
    (first_label, first), (last_label, last) = known[0], known[-1]
    if len(known) == 1:
        return f"{what}: {_number(last)} in {last_label}, no trend yet"
    change = last - first
    if change > 0:
        direction = f"rising by {_number(change)}"
    elif change < 0:
        direction = f"falling by {_number(-change)}"
    else:
        direction = "steady"
    return f"{what}: {_number(first)} in {first_label}, {_number(last)} in {last_label} — {direction}"


SPARK_WIDTH, SPARK_HEIGHT = 100, 28


SPARK_MIN_SPAN = 20  # points of score: a sparkline never magnifies a wobble of 2 points into a cliff


def sparkline(points, *, what="Score", y_max=100):
    """A small line of `points` [(label, value)] (a partner's monthly scores) whose name is its trend in words.

    Drawn over the range of its own values (at least SPARK_MIN_SPAN wide, within 0..`y_max`), as sparklines are:
    its shape is the trend; the figures are in its words and beside it."""
    words = trend_in_words(points, what=what)
    known = [(index, value) for index, (_, value) in enumerate(points) if value is not None]
    values = [value for _, value in known] or [0]
    low, high = min(values), max(values)
    if high - low < SPARK_MIN_SPAN:
        middle = (high + low) / 2
        low = max(0, min(middle - SPARK_MIN_SPAN / 2, y_max - SPARK_MIN_SPAN))
        high = low + SPARK_MIN_SPAN
    step = (SPARK_WIDTH - 6) / max(len(points) - 1, 1)

    def at(index, value):
        return 3 + step * index, SPARK_HEIGHT - 3 - (SPARK_HEIGHT - 6) * (value - low) / (high - low)

    path = " ".join(
        f"{'M' if number == 0 else 'L'}{x:.1f} {y:.1f}"
        for number, (x, y) in enumerate(at(index, value) for index, value in known)
    )
    last = ""
    if known:
        x, y = at(*known[-1])
        last = f'<circle class="sparkline__last" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>'
    svg = (
        f'<svg class="sparkline" role="img" aria-label="{escape(words)}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
        f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f'<title>{escape(words)}</title><path class="sparkline__line" d="{path}"/>{last}</svg>'
    )
    return mark_safe(svg)  # noqa: S308
