"""Comparison of runs side by side: objectives, builds, sourcing mix and loop shares, with the
solution report's look. Differences are against the first run. The tables are written numeric
(CSV) and shown in words (the page and the terminal): money as `GBP 915.7 m`, shares as
`21.4 %`, changes as `+3.4 %`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from planner.chain import RECYCLED_LOOPS
from planner.errors import PlannerError
from planner.report import figures as fig
from planner.report.html import esc, page, plot_text, table
from planner.report.rundata import Run, load_run
from planner.report.units import money, percent
from planner.results.wording import LOOP_NAMES

OBJECTIVE_ROWS = (("cost", "cost incl. penalty"),
                  ("emissions_t_co2e", "emissions (t CO2e)"),
                  ("risk", "risk (weighted t)"),
                  ("responsible_sourcing", "responsible-sourcing deficit (weighted t)"))
RISK_ROWS = (("expected_shortfall_t", "expected shortfall (t)"),
             ("cvar_shortfall_t", "CVaR of shortfall (t)"),
             ("max_country_share", "largest single-country share"))


def labels(runs: list[Run], given: Sequence[str] = ()) -> list[str]:
    """The `given` labels (one per run, in order), else each run's folder name; numbered where
    two are the same."""
    if given and len(given) != len(runs):
        raise PlannerError(f"{len(runs)} runs but {len(given)} label"
                           f"{'' if len(given) == 1 else 's'}: give one label per run, in "
                           "order, or none")
    return numbered(list(given) or [r.path.name or str(r.path) for r in runs])


def numbered(names: list[str]) -> list[str]:
    """`names`, numbered where two are the same."""
    return [f"{n} ({i + 1})" if names.count(n) > 1 else n for i, n in enumerate(names)]


def change_column(name: str, first: str) -> str:
    """The column of `name`'s difference from the first run in % of the first run's value."""
    return f"{name} vs {first} (%)"


def objectives(runs: list[Run], names: list[str]) -> pd.DataFrame:
    """measure, one column per run, and for each later run its difference from the first and
    that difference in % of the first run's value (empty where that value is 0)."""
    rows = []
    currency = runs[0].currency
    rows.append([f"system cost ({currency}, discounted)"] + [
        r.summary.get("system_cost", r.summary["objectives"].get("cost")) for r in runs])
    rows.append([f"unmet-demand penalty ({currency})"] + [
        r.summary.get("unmet_penalty", 0.0) for r in runs])
    for key, label in OBJECTIVE_ROWS:
        unit = f" ({currency}, discounted)" if key == "cost" else ""
        rows.append([label + unit] + [r.summary["objectives"].get(key) for r in runs])
    rows.append(["unmet demand, expected (t)"] + [r.summary.get("expected_unmet_t", 0.0)
                                                  for r in runs])
    for key, label in RISK_ROWS:
        rows.append([label] + [(r.summary.get("risk_measures") or {}).get(key) for r in runs])
    frame = pd.DataFrame(rows, columns=["measure", *names])
    first = frame[names[0]]
    for name in names[1:]:
        delta = frame[name] - first
        frame[f"{name} - {names[0]}"] = delta
        frame[change_column(name, names[0])] = delta / first.where(first != 0) * 100
    return frame


def unsigned_zero(text: str) -> str:
    """`text` without its sign where all its digits are 0: no `-0` or `+0.0 %`."""
    if any(c in "123456789" for c in text):
        return text
    return text.replace("-", "").replace("+", "")


def quantity(value: float) -> str:
    """A number with thousands separators and at most 1 decimal: `15,400`, `2,071.5`."""
    return f"{value:,.1f}".removesuffix(".0")


def cell(value: float | None, measure: str, currency: str) -> str:
    """One value of the objectives table for reading: money where `measure` is in `currency`,
    a percentage where it is a share, else a number; `n/a` where missing."""
    if value is None or pd.isna(value):
        return "n/a"
    if currency and f"({currency}" in measure:
        return unsigned_zero(money(value, currency))
    if "share" in measure:
        return unsigned_zero(percent(value))
    return unsigned_zero(quantity(value))


def change(value: float | None) -> str:
    """A % change as `+3.4 %`; blank where there is none (the first run's value is 0)."""
    return "" if value is None or pd.isna(value) else unsigned_zero(f"{value:+,.1f} %")


def objectives_text(frame: pd.DataFrame, names: list[str], currency: str) -> pd.DataFrame:
    """The objectives table (from `objectives`) in words, for the page and the terminal: money
    as `GBP 915.7 m`, shares as `21.4 %`, other numbers with thousands separators and at most
    1 decimal, % changes as `+3.4 %`."""
    changes = {change_column(n, names[0]) for n in names[1:]}
    deltas = {f"{n} - {names[0]}" for n in names[1:]}
    text = {c: frame[c].map(change) if c in changes else
            [points(v) if c in deltas and "share" in m else cell(v, m, currency)
             for v, m in zip(frame[c], frame["measure"])]
            for c in frame.columns[1:]}
    return pd.DataFrame({"measure": frame["measure"], **text})


def points(value: float | None) -> str:
    """A difference of two shares in percentage points: `+3.6 pp`."""
    return "n/a" if value is None or pd.isna(value) else unsigned_zero(f"{value * 100:+.1f} pp")


def shares_text(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """A table of shares (from `shares`) with each run's share as `21.4 %`."""
    return frame.assign(**{n: frame[n].map(percent) for n in names})


def text_table(frame: pd.DataFrame) -> str:
    """An HTML table of a table in words: the first column as text, the others right-aligned
    like numbers."""
    if frame.empty:
        return table(frame)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    cells = ("<td>{}</td>", '<td class="n">{}</td>')  # the first column, the others
    rows = "\n".join("<tr>" + "".join(cells[i > 0].format(esc(v)) for i, v in enumerate(record))
                     + "</tr>" for record in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def plain_table(frame: pd.DataFrame) -> str:
    """A table in words as terminal text: the first column left-aligned, the others
    right-aligned like numbers, two spaces apart."""
    columns = [[str(c), *map(str, frame[c])] for c in frame.columns]
    widths = [max(map(len, col)) for col in columns]
    lines = zip(*[[v.ljust(w) if i == 0 else v.rjust(w) for v in col]
                  for i, (col, w) in enumerate(zip(columns, widths))])
    return "\n".join("  ".join(line).rstrip() for line in lines)


def changed(run: Run) -> str:
    """What a run changed in its instance, in its own words ("as the instance is" if nothing),
    and the decisions it imposed."""
    summary = run.summary
    given = [*summary.get("instance", {}).get("changes", []), *summary.get("decisions", [])]
    return ", ".join(map(str, given)) or "as the instance is"


def expected_builds(run: Run) -> pd.DataFrame:
    """The run's builds with capacity_added_t weighted by each scenario's probability (the
    expected build; the plan itself where builds are shared by all scenarios)."""
    b = run.tables["builds"]
    if "scenario" not in b:  # a run folder written before builds had a scenario
        return b
    weight = b["scenario"].map(run.probability).to_numpy()
    return b.assign(capacity_added_t=b["capacity_added_t"] * weight)


def builds(runs: list[Run], names: list[str]) -> pd.DataFrame:
    """facility, process, and per run the capacity built (t/yr, expected over scenarios) and
    when it comes online ("2027 +100, 2031 +50"): the facilities where the runs differ."""
    parts = []
    for run, name in zip(runs, names):
        b = expected_builds(run)
        b = b.groupby(["facility", "process", "online_year"], as_index=False)[
            "capacity_added_t"].sum()
        b["step"] = [f"{y} +{t:,.0f}" for y, t in zip(b["online_year"], b["capacity_added_t"])]
        parts.append(b.groupby(["facility", "process"]).agg(
            **{f"{name} built_t": ("capacity_added_t", "sum"),
               f"{name} online": ("step", ", ".join)}))
    frame = pd.concat(parts, axis=1).reset_index() if parts else pd.DataFrame()
    if frame.empty:
        return frame
    built = [f"{n} built_t" for n in names]
    frame[built] = frame[built].fillna(0.0)
    steps = [f"{n} online" for n in names]
    frame[steps] = frame[steps].fillna("")
    differs = frame[steps].nunique(axis=1) > 1
    return frame[differs].sort_values(["process", "facility"]).reset_index(drop=True)


def expected(run: Run, frame: pd.DataFrame, value: str, by: str) -> pd.Series:
    """Probability-weighted total of `value` by `by` over the whole horizon."""
    p = frame["scenario"].map(run.probability)
    return (frame[value] * p).groupby(frame[by]).sum()


def shares(runs: list[Run], names: list[str], table: str, value: str, by: str) -> pd.DataFrame:
    """`by`, and each run's expected share of its total `value` of `table` (whole horizon)."""
    cols = {}
    for run, name in zip(runs, names):
        total = expected(run, run.tables[table], value, by)
        cols[name] = total / total.sum() if total.sum() > 0 else total
    return pd.DataFrame(cols).fillna(0.0).rename_axis(by).reset_index()


def sourcing(runs: list[Run], names: list[str]) -> pd.DataFrame:
    """country, each run's expected share of imported tonnes (whole horizon)."""
    return shares(runs, names, "concentration", "imported_t", "country")


def loop_mix(runs: list[Run], names: list[str]) -> pd.DataFrame:
    """loop, each run's expected share of domestic demand met by it (whole horizon), and all
    recycled loops together."""
    frame = shares(runs, names, "loop_shares", "met_t", "loop")
    recycled = frame[frame["loop"].isin(RECYCLED_LOOPS)][names].sum()
    return pd.concat([frame, pd.DataFrame([["all recycled loops", *recycled]],
                                          columns=frame.columns)], ignore_index=True)


def share_figure(frame: pd.DataFrame, key: str, names: list[str], title: str,
                 palette: dict[str, str]) -> dict:
    data = [{"type": "bar", "name": plot_text(LOOP_NAMES.get(row[key], row[key])),
             "x": [plot_text(n) for n in names],
             "y": [row[n] for n in names], "marker": {"color": palette.get(row[key], "#9aa5b1")}}
            for _, row in frame.iterrows() if row[key] != "all recycled loops"]
    return {"data": data, "layout": fig.layout(title, "share", barmode="stack",
                                                yaxis={"tickformat": ".0%"})}


def builds_figure(runs: list[Run], names: list[str]) -> dict:
    data = []
    for run, name in zip(runs, names):
        b = expected_builds(run).groupby("facility")["capacity_added_t"].sum()
        data.append({"type": "bar", "name": plot_text(name), "x": [plot_text(f) for f in b.index],
                     "y": b.tolist()})
    return {"data": data, "layout": fig.layout("Capacity built by facility (t/yr)", "t/yr",
                                                barmode="group")}


def compare_report(runs: list[Run], names: list[str] | None = None,
                   title: str = "") -> tuple[str, dict[str, pd.DataFrame]]:
    """The comparison page and the tables it shows (numeric); runs are named by their folders
    unless `names` are given, and the page is titled by their names unless `title` is."""
    names = labels(runs, names or ())
    title = title or f"Comparison: {' vs '.join(names)}"
    obj, bld, src, loops = objectives(runs, names), builds(runs, names), \
        sourcing(runs, names), loop_mix(runs, names)
    facts = "".join(
        f"<div><dt>{esc(n)}</dt><dd>{esc(r.name)} &middot; {esc(r.summary.get('status'))} "
        f"&middot; {esc(changed(r))} &middot; {esc(r.summary.get('created', ''))}</dd></div>"
        for n, r in zip(names, runs))
    header = (f"<header><h1>{esc(title)}</h1><p>Differences are against "
              f"{esc(names[0])}.</p><dl>{facts}</dl></header>")
    countries = sorted({r["country"] for run in runs for r in run.dims["regions"].values()})
    sections = [
        ("objectives", "Objectives", text_table(objectives_text(obj, names, runs[0].currency))),
        ("builds", "Builds", '<div class="chart" id="chart-builds"></div>' + table(
            bld, {f"{n} built_t": 0 for n in names}, empty="the runs build the same")),
        ("sourcing", "Sourcing mix", '<div class="chart" id="chart-sourcing"></div>' +
         text_table(shares_text(src, names))),
        ("loops", "Loop shares", '<div class="chart" id="chart-loops"></div>' +
         text_table(shares_text(loops.assign(loop=[LOOP_NAMES.get(k, k) for k in loops["loop"]]),
                                names))),
    ]
    nav = "<nav>" + "".join(f'<a href="#{k}">{esc(t)}</a>' for k, t, _ in sections) + "</nav>"
    body = header + nav + "<main>" + "".join(
        f'<section id="{k}"><h2>{esc(t)}</h2>{b}</section>' for k, t, b in sections) + "</main>"
    data = {"charts": {
        "chart-builds": builds_figure(runs, names),
        "chart-sourcing": share_figure(src, "country", names, "Imports by origin country "
                                       "(expected share, whole horizon)", fig.colours(countries)),
        "chart-loops": share_figure(loops, "loop", names, "Demand met by loop (expected share, "
                                    "whole horizon)", fig.LOOP_COLOURS | {
                                        "primary_import": "#4c78a8",
                                        "domestic_primary": "#12324a"}),
    }, "by_scenario": {}}
    return page(title, body, data), {
        "objectives": obj, "builds": bld, "sourcing": src, "loop_shares": loops}


def write_comparison(folder: Path, runs: list[Run], stem: str = "compare",
                     names: list[str] | None = None, title: str = "") -> dict[str, pd.DataFrame]:
    """`stem`.html and `stem`_<table>.csv in `folder`; returns the tables."""
    html, tables = compare_report(runs, names, title)
    (folder / f"{stem}.html").write_text(html, encoding="utf-8")
    for name, frame in tables.items():
        frame.to_csv(folder / f"{stem}_{name}.csv", index=False, float_format="%.10g")
    return tables


def write_compare(run_dirs: list[str | Path], out: str | Path, force: bool = False,
                  names: Sequence[str] = ()) -> Path:
    """DIR/compare.html and the compared tables as compare_<name>.csv, all or nothing; the
    runs are named `names` (one per run, in order) or by their folders."""
    from planner.runs import atomic_folder

    if len(run_dirs) < 2:
        raise PlannerError("compare needs at least two run folders")
    runs = [load_run(d) for d in run_dirs]
    out = Path(out)
    with atomic_folder(out, force, reads=run_dirs) as tmp:
        write_comparison(tmp, runs, names=list(names))
    return out / "compare.html"
