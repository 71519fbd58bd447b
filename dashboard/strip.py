"""The data-quality page's coverage strip as one HTML block (issue 29): a row per sensor, a
square per hour coloured by its coverage, the hour's figures in its tooltip.

It was a Vega-Lite chart: the only chart of the page, whose first drawing in a new tab
loads and compiles the browser's whole Vega library, about a second and a half of the
page's first load at 200 cases (docs/dashboard-at-scale.md). A grid of coloured squares
needs no chart library. Every text from the config or the database is HTML-escaped here."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import tzinfo
from itertools import pairwise

import pandas as pd

from museum.language.i18n import Translator

#: The coverage colours from 0 % to 100 %: red, yellow, green (ColorBrewer's RdYlGn ends
#: and middle, as the chart's "redyellowgreen" scheme drew them).
STOPS = ((0.0, (215, 48, 39)), (50.0, (254, 224, 139)), (100.0, (26, 152, 80)))

STYLE = (
    "<style>"
    ".patina-strip{font-size:0.75rem;width:100%}"
    ".patina-strip-row{display:flex;align-items:center;margin:1px 0}"
    ".patina-strip-row>span{flex:0 0 11rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
    ".patina-cells{flex:1;display:grid;gap:0;height:18px}"
    ".patina-cells i{display:block;height:18px}"
    ".patina-ticks{position:relative;height:1.2rem;margin-left:11rem;color:#555}"
    ".patina-ticks span{position:absolute;white-space:nowrap;border-left:1px solid #999;padding-left:2px}"
    ".patina-legend{display:flex;align-items:center;gap:6px;margin-top:4px;color:#555}"
    ".patina-legend b{display:inline-block;width:120px;height:10px;"
    "background:linear-gradient(to right,rgb(215,48,39),rgb(254,224,139),rgb(26,152,80))}"
    "</style>"
)


def coverage_colour(pct: float) -> str:
    """The colour of an hour covered at ``pct`` %, between the STOPS."""
    pct = min(100.0, max(0.0, float(pct)))
    for (low, low_rgb), (high, high_rgb) in pairwise(STOPS):
        if pct <= high:
            share = (pct - low) / (high - low)
            rgb = (round(a + (b - a) * share) for a, b in zip(low_rgb, high_rgb, strict=True))
            return "rgb({},{},{})".format(*rgb)
    return "rgb({},{},{})".format(*STOPS[-1][1])


def ticks_html(hours: list[pd.Timestamp], zone: tzinfo, t: Translator, daily: bool) -> str:
    """Labels under the strip: each local midnight over a week, every three hours over a day."""
    marks = []
    for index, hour in enumerate(hours):
        local = hour.tz_convert(zone)
        if (daily and local.hour == 0) or (not daily and local.hour % 3 == 0):
            text = t.date(local.date(), "short") if daily else local.strftime("%H:%M")
            marks.append(f'<span style="left:{100 * index / len(hours):.3f}%">{html.escape(text)}</span>')
    return f'<div class="patina-ticks">{"".join(marks)}</div>'


def runs(hourly: pd.DataFrame) -> list[pd.DataFrame]:
    """A sensor's hours cut into runs of the same coverage: a week of complete hours is one
    square wide of 168, not 168 squares (a year's museum of 200 silent sensors drew 40 × 168
    squares with a tooltip each, most of a megabyte of HTML)."""
    if hourly.empty:
        return []
    pct = hourly["pct"].to_numpy()
    starts = [0, *(n for n in range(1, len(pct)) if pct[n] != pct[n - 1])]
    return [hourly.iloc[a:b] for a, b in zip(starts, [*starts[1:], len(pct)], strict=True)]


def run_cell(run: pd.DataFrame, name: str, names: dict[str, str], t: Translator, zone: tzinfo) -> str:
    """One square spanning a run of hours; its tooltip gives the hour's readings against the
    expected, or for a run its first and last hour and its coverage."""
    first = run.iloc[0]
    moment = t.moment(first["time"].tz_convert(zone).to_pydatetime())
    if len(run) == 1:
        expected = (
            t.number(first["expected"], 0) if pd.notna(first["expected"]) and first["expected"] else "—"
        )
        detail = (
            f"{moment} · {name} · {names['readings']}: {t.number(first['readings'], 0)} · "
            f"{names['expected']}: {expected}"
        )
    else:
        last = t.moment(run.iloc[-1]["time"].tz_convert(zone).to_pydatetime())
        detail = f"{moment} – {last} · {name} · {names['coverage']}: {t.number(first['pct'], 0)}"
    style = f"background:{coverage_colour(first['pct'])};grid-column:span {len(run)}"
    return f'<i style="{style}" title="{html.escape(detail)}"></i>'


def coverage_strip_html(
    coverage: pd.DataFrame,
    shown: list[str],
    label: Callable[[str], str],
    t: Translator,
    zone: tzinfo,
    daily: bool,
) -> str:
    """The strip of the ``shown`` sensors (in that order) from :func:`dashboard.data.hourly_coverage`
    rows: time (UTC hour), sensor_id, readings, expected, pct."""
    e = html.escape
    hours = sorted(coverage["time"].unique())
    columns = f"grid-template-columns:repeat({len(hours)},1fr)"
    by_sensor = {sensor: rows for sensor, rows in coverage.groupby("sensor_id", sort=False)}
    names = {
        "time": t("label.time"),
        "readings": t("quality.readings"),
        "expected": t("quality.expected"),
        "coverage": t("quality.coverage_legend"),
    }
    rows = []
    for sensor in shown:
        name = label(sensor)
        hourly = by_sensor[sensor] if sensor in by_sensor else coverage.iloc[:0]
        cells = [run_cell(run, name, names, t, zone) for run in runs(hourly)]
        rows.append(
            f'<div class="patina-strip-row" data-sensor="{e(sensor)}">'
            f'<span title="{e(name)}">{e(name)}</span>'
            f'<div class="patina-cells" style="{columns}">{"".join(cells)}</div></div>'
        )
    legend = f'<div class="patina-legend">{e(names["coverage"])}: 0 <b></b> 100</div>'
    return (
        f'{STYLE}<div class="patina-strip" role="img" aria-label="{e(t("quality.coverage_title"))}">'
        f"{''.join(rows)}{ticks_html(list(hours), zone, t, daily)}{legend}</div>"
    )
