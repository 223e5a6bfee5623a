"""Self-contained HTML pages: escaping, tables, embedded data and the inline Plotly bundle.

Everything a page needs is inline (styles, Plotly.js, the page script and its data), and a
Content-Security-Policy forbids any other source, so a report opens with no network. Every name
from the data goes through `esc` (HTML) or `plot_text` (Plotly's text markup) and the embedded
JSON escapes `<`, `>` and `&`, so a hostile name shows as text. Output depends only on the input:
element ids are fixed and JSON keys sorted, so rebuilding a report gives the same bytes.
"""

from __future__ import annotations

import html
import json
import math
from importlib import resources

import pandas as pd

CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data: blob:; font-src data:; connect-src 'none'")


PLAIN = {"point", "modules", "rank"}  # numbers shown as they are (with the years)


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def plot_text(value) -> str:
    """A data name as Plotly text: Plotly reads a small HTML subset and decodes entities, so
    escaping makes `<script>` show literally."""
    return html.escape(str(value), quote=False)


def clean(value):
    """JSON-safe and compact: floats rounded to 6 decimals, NaN to None, numpy scalars to
    Python, containers recursively."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        rounded = round(value, 6)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded
    return value


def json_script(data, element_id: str) -> str:
    text = json.dumps(clean(data), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def number(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return esc(value)


def table(frame: pd.DataFrame, digits: dict[str, int] | None = None, element_id: str = "",
          empty: str = "none") -> str:
    """An HTML table of `frame`; numeric columns right-aligned with `digits` decimals (0 by
    default, or per column)."""
    if frame.empty:
        return f'<p class="empty">{esc(empty)}</p>'
    digits = digits or {}
    attr = f' id="{esc(element_id)}"' if element_id else ""
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record):
            if isinstance(value, dict):
                cells.append("<td>" + esc(", ".join(f"{k} {v}" for k, v in value.items())) +
                             "</td>")
            elif column in PLAIN or column.endswith("year"):
                cells.append(f'<td class="n">{esc(value)}</td>')
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f'<td class="n">{number(value, digits.get(column, 0))}</td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table{attr}><thead><tr>{head}</tr></thead><tbody>' + "\n".join(rows) +
            "</tbody></table>")


def asset(name: str) -> str:
    return resources.files("planner.report").joinpath("assets", name).read_text("utf-8")


def plotly_bundle() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def page(title: str, body: str, data: dict) -> str:
    """The whole document: styles, body, data, Plotly.js and the page script, all inline."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{asset('report.css')}</style>",
        "</head><body>",
        body,
        json_script(data, "report-data"),
        f"<script>{plotly_bundle()}</script>",
        f"<script>{asset('report.js')}</script>",
        "</body></html>",
        "",
    ])
