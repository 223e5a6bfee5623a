"""Comparisons read by people: money, shares and % changes in words on the page and in the
terminal (the CSVs stay numeric), and runs named by --label."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.report.compare import labels, objectives_text
from planner.report.rundata import Run
from tests.conftest import ROOT

TOY = ROOT / "instances/toy"
DEARER = "offers.cn_magnets.price_per_t*=1.2"
COST = "cost incl. penalty (GBP, discounted)"


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def tables_of(html: str) -> str:
    """The page's sections (its tables), without the embedded data and Plotly.js."""
    return html.split("<main>")[1].split("</main>")[0]


@pytest.fixture(scope="module")
def dearer_run(tmp_path_factory) -> Path:
    """The toy with magnets bought from China 20 % dearer."""
    out = tmp_path_factory.mktemp("runs") / "dearer"
    result = run_cli("solve", TOY, "--out", out, "--mip-gap", "0", "--set", DEARER)
    assert result.exit_code == 0, result.output
    return out


def test_objectives_in_words():
    frame = pd.DataFrame({
        "measure": ["system cost (GBP, discounted)", "unmet-demand penalty (GBP)",
                    "emissions (t CO2e)", "largest single-country share"],
        "a": [1.234e9, 15400.0, 12345.67, 0.214],
        "b": [915.7e6, 0.0, 12345.0, 0.25],
        "b - a": [-318.3e6, -15400.0, -1e-9, 0.036],
        "b vs a (%)": [-25.8, -100.0, float("nan"), 16.82]})
    shown = objectives_text(frame, ["a", "b"], "GBP")
    assert shown["a"].tolist() == ["GBP 1.23 bn", "GBP 15,400", "12,345.7", "21.4 %"]
    assert shown["b"].tolist() == ["GBP 915.7 m", "GBP 0", "12,345", "25.0 %"]
    assert shown["b - a"].tolist() == ["GBP -318.3 m", "GBP -15,400", "0", "+3.6 pp"]
    assert shown["b vs a (%)"].tolist() == ["-25.8 %", "-100.0 %", "", "+16.8 %"]


def test_runs_are_named_by_labels_or_numbered_folders():
    runs = [Run(Path("a/toy"), {}), Run(Path("b/toy"), {}), Run(Path("c/uk"), {})]
    assert labels(runs) == ["toy (1)", "toy (2)", "uk"]
    assert labels(runs, ["base", "dear", "cheap"]) == ["base", "dear", "cheap"]


def test_percent_change_is_the_difference_over_the_first_run(toy_run, dearer_run, tmp_path):
    out = tmp_path / "cmp"
    result = run_cli("compare", toy_run, dearer_run, "--out", out)
    assert result.exit_code == 0, result.output
    objectives = pd.read_csv(out / "compare_objectives.csv").set_index("measure")
    first, later = toy_run.name, dearer_run.name
    change = objectives[f"{later} vs {first} (%)"]
    for measure, row in objectives.iterrows():
        if row[first] == 0:
            assert math.isnan(change[measure]), measure
        else:
            assert change[measure] == pytest.approx((row[later] - row[first]) / row[first] * 100)
    assert change[COST] > 0  # dearer magnets cost more


def test_page_shows_money_and_shares_in_words(toy_run, dearer_run, tmp_path):
    out = tmp_path / "cmp"
    assert run_cli("compare", toy_run, dearer_run, "--out", out).exit_code == 0
    tables = tables_of((out / "compare.html").read_text(encoding="utf-8"))
    assert re.search(r'<td class="n">GBP [\d,.]+ m</td>', tables)
    assert re.search(r'<td class="n">[+-][\d,.]+ %</td>', tables)  # the % change
    assert re.search(r'<td class="n">[\d.]+ %</td>', tables)  # shares
    assert "e+" not in tables and not re.search(r"\de-\d", tables)


def test_labels_name_the_columns_and_the_page(toy_run, dearer_run, tmp_path):
    out = tmp_path / "cmp"
    result = run_cli("compare", toy_run, dearer_run, "--out", out, "--label", "today",
                     "--label", "dear magnets")
    assert result.exit_code == 0, result.output
    columns = pd.read_csv(out / "compare_objectives.csv").columns.tolist()
    assert columns == ["measure", "today", "dear magnets", "dear magnets - today",
                       "dear magnets vs today (%)"]
    assert pd.read_csv(out / "compare_sourcing.csv").columns.tolist()[1:] == [
        "today", "dear magnets"]
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "<h1>Comparison: today vs dear magnets</h1>" in html
    for header in ("today", "dear magnets", "dear magnets vs today (%)"):
        assert f"<th>{header}</th>" in tables_of(html)
    assert f"<th>{dearer_run.name}</th>" not in html


def test_a_wrong_number_of_labels_is_a_usage_error(toy_run, dearer_run, tmp_path):
    out = tmp_path / "cmp"
    result = run_cli("compare", toy_run, dearer_run, "--out", out, "--label", "today")
    assert result.exit_code == 2
    assert "2 runs but 1 label: give one --label per run" in result.output
    result = run_cli("compare", toy_run, dearer_run, "--out", out, *["--label", "x"] * 3)
    assert result.exit_code == 2 and "2 runs but 3 labels" in result.output
    assert not out.exists()


def test_whatif_labels_and_terminal_table(toy_run, tmp_path):
    out = tmp_path / "dear"
    result = run_cli("whatif", TOY, "--baseline", toy_run, "--out", out, "--set", DEARER,
                     "--label", "dear magnets")
    assert result.exit_code == 0, result.output
    deltas = pd.read_csv(out / "whatif_objectives.csv").set_index("measure")
    delta = deltas.loc[COST, "dear magnets - baseline"]
    assert deltas.loc[COST, "dear magnets vs baseline (%)"] == pytest.approx(
        delta / deltas.loc[COST, "baseline"] * 100)
    printed = result.output.split("deltas written")[0]
    head = printed.splitlines()[0].split()
    assert head == ["measure", "baseline", "dear", "magnets", "change", "%"]
    assert max(map(len, printed.splitlines())) <= 100  # fits a terminal
    assert re.search(r"^system cost \(GBP, discounted\) +GBP [\d.]+ m", printed, re.M)
    assert re.search(r"\+[\d.]+ %", printed) and "e+" not in printed
    assert "<h1>What if: dear magnets (" in (out / "whatif.html").read_text(encoding="utf-8")
    result = run_cli("whatif", TOY, "--baseline", toy_run, "--out", tmp_path / "x",
                     "--set", DEARER, *["--label", "x"] * 3)
    assert result.exit_code == 2 and "3 labels: give at most two" in result.output
