"""The console's SVG charts: the marks match the figures, and each chart says in words what it shows."""

import xml.etree.ElementTree as ET

import pytest

from web.console import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ET.fromstring(str(svg))


def bars_of(root):
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "chart__bar"]


def texts_of(root):
    return [element.text for element in root.iter(f"{SVG}text")]


def test_a_bar_chart_draws_one_bar_per_figure_in_proportion():
    root = parse(
        charts.bar_chart(
            title="Incidents by month", bars=[("Jan", 2), ("Feb", 0), ("Mar", 8)], x_label="Month", y_label="Incidents"
        )
    )

    bars = bars_of(root)
    assert [bar.get("data-value") for bar in bars] == ["2", "0", "8"]
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[1] == 0 and heights[2] == pytest.approx(heights[0] * 4)
    assert [bar.find(f"{SVG}title").text for bar in bars] == ["Jan: 2", "Feb: 0", "Mar: 8"]


def test_a_chart_is_a_named_image_with_its_figures_in_words_and_labelled_axes():
    root = parse(
        charts.bar_chart(
            title="Incidents by severity", bars=[("Low", 3), ("High", 1)], x_label="Severity", y_label="Incidents"
        )
    )

    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == title.get("id") and root.get("aria-describedby") == desc.get("id")
    assert title.text == "Incidents by severity"
    assert desc.text == "Incidents by severity: Low: 3; High: 1"
    assert {"Severity", "Incidents"} <= set(texts_of(root))


def test_the_value_axis_ends_on_a_round_number_above_the_largest_bar():
    root = parse(charts.bar_chart(title="T", bars=[("a", 7)], x_label="X", y_label="Y"))

    assert "10" in texts_of(root) and "2" in texts_of(root)
    assert charts.nice_ceiling(7) == 10 and charts.nice_ceiling(23) == 25 and charts.nice_ceiling(0) == 5
    assert charts.nice_ceiling(3) == 5  # whole steps for counts, never 0.6


def test_horizontal_bars_carry_their_long_labels_beside_them():
    root = parse(
        charts.bar_chart(
            title="By category",
            bars=[("Dual relationship", 4), ("Gifts or money", 2)],
            x_label="Category",
            y_label="Incidents",
            horizontal=True,
        )
    )

    widths = [float(bar.get("width")) for bar in bars_of(root)]
    assert widths[0] == pytest.approx(widths[1] * 2)
    assert {"Dual relationship", "Gifts or money", "Category", "Incidents"} <= set(texts_of(root))


def test_an_empty_chart_says_there_is_nothing_to_show():
    root = parse(charts.bar_chart(title="T", bars=[("Jan", 0), ("Feb", 0)], x_label="Month", y_label="Incidents"))

    assert "Nothing to show yet" in texts_of(root)


def test_text_is_escaped_inside_the_svg():
    svg = str(charts.bar_chart(title="<b>&", bars=[("<script>", 1)], x_label="X", y_label="Y"))

    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


def test_a_line_chart_puts_a_point_per_known_value_and_breaks_at_a_gap():
    root = parse(
        charts.line_chart(
            title="Scores",
            labels=["Jan", "Feb", "Mar", "Apr"],
            series=[("Average", [80, None, 60, 40]), ("Lowest", [50, 50, 50, 50])],
            x_label="Month",
            y_label="Score",
        )
    )

    groups = [g for g in root.iter(f"{SVG}g") if g.get("data-series")]
    assert [g.get("data-series") for g in groups] == ["Average", "Lowest"]
    average_points = [point.find(f"{SVG}title").text for point in groups[0] if point.get("class") == "chart__point"]
    assert average_points == ["Average, Jan: 80", "Average, Mar: 60", "Average, Apr: 40"]
    path = groups[0].find(f"{SVG}path").get("d")
    assert path.count("M") == 2 and path.count("L") == 1  # Jan alone, then Mar to Apr
    lowest = [point for point in groups[1] if point.get("class") == "chart__point"]
    assert len(lowest) == 4 and lowest[0].tag == f"{SVG}rect"  # a second series is told apart by its marker too
    assert "Average — Jan: 80; Mar: 60; Apr: 40" in root.find(f"{SVG}desc").text
    assert {"Average", "Lowest", "Month", "Score"} <= set(texts_of(root))


def test_a_higher_score_is_drawn_higher():
    root = parse(
        charts.line_chart(title="S", labels=["a", "b"], series=[("Score", [90, 30])], x_label="M", y_label="S")
    )

    first, second = (float(c.get("cy")) for c in root.iter(f"{SVG}circle"))
    assert first < second


def test_the_trend_in_words_says_where_it_started_ended_and_which_way():
    assert (
        charts.trend_in_words([("Jan", 82), ("Feb", None), ("Mar", 64)])
        == "Score: 82 in Jan, 64 in Mar — falling by 18"
    )
    assert charts.trend_in_words([("Jan", 50), ("Mar", 70)]) == "Score: 50 in Jan, 70 in Mar — rising by 20"
    assert charts.trend_in_words([("Jan", 70), ("Mar", 70)]).endswith("steady")
    assert charts.trend_in_words([("Jan", None), ("Mar", 70)]) == "Score: 70 in Mar, no trend yet"
    assert charts.trend_in_words([("Jan", None)]) == "Score: no trend yet"


def test_a_sparkline_is_an_image_named_by_its_trend():
    root = parse(charts.sparkline([("Jan", 90), ("Feb", 80), ("Mar", 40)]))

    assert root.get("role") == "img"
    assert root.get("aria-label") == "Score: 90 in Jan, 40 in Mar — falling by 50"
    path = root.find(f"{SVG}path").get("d")
    assert path.count("L") == 2
    ys = [float(step.split()[1]) for step in path.replace("M", "|").replace("L", "|").split("|") if step]
    assert ys[0] < ys[1] < ys[2]  # falling scores go down


def test_the_axis_may_carry_shorter_ticks_while_each_bar_keeps_its_full_label():
    root = parse(
        charts.bar_chart(
            title="T", bars=[("Dec 2025", 1), ("Jan 2026", 2)], ticks=["Dec", "Jan"], x_label="Month", y_label="Y"
        )
    )

    assert {"Dec", "Jan"} <= set(texts_of(root)) and "Jan 2026" not in texts_of(root)
    assert [bar.find(f"{SVG}title").text for bar in bars_of(root)] == ["Dec 2025: 1", "Jan 2026: 2"]


def test_a_sparkline_of_a_small_wobble_is_not_drawn_as_a_cliff():
    root = parse(charts.sparkline([("Jan", 80), ("Feb", 82)]))

    path = root.find(f"{SVG}path").get("d")
    first, second = (float(step.split()[1]) for step in path.replace("M", "|").replace("L", "|").split("|") if step)
    assert 0 < first - second < (charts.SPARK_HEIGHT - 6) / 5
