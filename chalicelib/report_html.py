"""The report as one self-contained HTML file: inline SVG charts drawn by pygal (pure
Python, no JavaScript needed to see them, nothing fetched at view time), print CSS
for A4 and a viewport for phones."""
from __future__ import annotations

import html

from chalicelib.report import human

_CSS = """
body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.5rem;border-bottom:1px solid #ccc}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.5rem}
.card{border:1px solid #ccc;border-radius:4px;padding:.5rem}.card b{font-size:1.4rem;display:block}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}
figure{margin:0}figure svg{width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:.8rem}td,th{border:1px solid #ddd;padding:2px 4px;
text-align:left;vertical-align:top;word-break:break-all}.empty{font-size:1.2rem;padding:1rem;border:2px dashed #999}
@media print{@page{size:A4;margin:12mm}body{max-width:none;margin:0;font-size:10pt}
figure,table,.card{break-inside:avoid}h2{break-after:avoid}}
"""
_LABELS = [("found", "outside the EU found"), ("killed", "killed"), ("failed", "failed"),
           ("alive_now", "still alive now"), ("uncovered", "uncovered creates"),
           ("exempted", "spared by exemption"), ("exemptions_in_force", "exemptions in force"),
           ("exemptions_expiring_30d", "exemptions expiring within 30 days"),
           ("breaker_openings", "breaker openings")]


def _chart(kind: str, title: str, series: dict[str, list], labels: list[str] | None = None) -> str:
    import pygal

    chart = getattr(pygal, kind)(title=title, width=600, height=320, disable_xml_declaration=True,
                                 show_legend=len(series) > 1, explicit_size=False,
                                 js=[])  # pygal's tooltips come from a CDN: none
    if labels is not None:
        chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return f"<figure>{chart.render(is_unicode=True)}</figure>"


def _charts(report: dict) -> str:
    parts = []
    seconds = report["exposure"]["seconds"]
    if seconds:
        buckets = [("< 1m", 60), ("< 10m", 600), ("< 1h", 3600), ("< 1d", 86400),
                   ("< 7d", 604800), (">= 7d", float("inf"))]
        counts, low = [], 0
        for _, high in buckets:
            counts.append(sum(1 for s in seconds if low <= s < high))
            low = high
        parts.append(_chart("Bar", "Exposure: create to kill", {"kills": counts},
                            [b[0] for b in buckets]))
    weeks = report["by_path_per_week"]
    if weeks:
        parts.append(_chart("StackedBar", "Caught by the event path vs the nightly scan",
                            {"event path": [w["event"] for w in weeks.values()],
                             "nightly scan": [w["scan"] for w in weeks.values()]}, list(weeks)))
    for key in ("account", "type", "region"):
        counts = report["kills_by"][key]
        if counts:
            top = list(counts.items())[:10]
            parts.append(_chart("HorizontalBar", f"Kills by {key}",
                                {"kills": [n for _, n in top]}, [name for name, _ in top]))
    return f'<div class="charts">{"".join(parts)}</div>'


def _table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(c.replace('_seconds', ''))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(
        f"<td>{html.escape(human(r[c]) if c == 'exposure_seconds' else str(r.get(c) or ''))}</td>"
        for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(report: dict, title: str = "Monocyte: resources outside the EU") -> str:
    start, end = report["period"]["start"], report["period"]["end"]
    head = report["headline"]
    out = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width,initial-scale=1'>",
           f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1><p>From {start} to {end} (UTC), from the verdict log.</p>"]
    if report["empty"]:
        out.append("<p class='empty'>No verdicts in this period: nothing was found outside "
                   "the allowed regions, and nothing was killed.</p>")
    out.append("<div class='cards'>" + "".join(
        f"<div class='card'><b>{head[k]}</b>{html.escape(label)}</div>" for k, label in _LABELS)
        + "</div>")
    if not report["empty"]:
        median = human(report["exposure"]["median_seconds"])
        out += [f"<h2>Exposure time</h2><p>Median create-to-kill: <b>{median}</b>.</p>",
                _charts(report), "<h2>Worst exposures</h2>",
                _table(report["exposure"]["worst"], ["id", "type", "region", "account", "creator",
                                                     "created", "decided", "exposure_seconds",
                                                     "path", "record"]),
                "<h2>Longest-lived and why</h2>",
                _table(report["longest"], ["id", "type", "region", "why", "exposure_seconds",
                                           "reason", "notes", "record"]),
                "<h2>Still alive now</h2>",
                _table(report["alive"], ["id", "type", "region", "account", "action", "reason",
                                         "record"]),
                "<h2>Every verdict</h2>",
                _table(report["entries"], ["decided", "action", "path", "type", "id", "region",
                                           "account", "creator", "notes", "record"])]
    out.append("</body></html>")
    return "".join(out)
