"""Reports in a real headless browser (Debian's chromium, driven by Playwright): they load with no
console errors and no network, every chart renders, the Sankey shows the run's flows and its
selectors redraw it, hostile names stay text, and a Pareto point opens its decisions."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.report.compare import write_compare
from planner.report.rundata import load_run
from planner.report.sankey import coloured_links, value_stream
from planner.report.solution import write_report
from tests.conftest import ROOT
from tests.test_report import HOSTILE, hostile_run

pytestmark = pytest.mark.browser

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    path = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() else None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        message = "chromium or playwright is missing (tests/setup-browser.sh installs chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=FLAGS)
        yield instance
        instance.close()


class Page:
    """A report opened in a fresh page, with its console messages, errors and requests."""

    def __init__(self, browser, file: Path, width: int = 1400):
        self.file = file
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.messages, self.requests, self.dialogs = [], [], []
        self.page.on("console", lambda m: self.messages.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.messages.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(file.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=60_000)

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()


def assert_clean(view: Page) -> None:
    assert view.messages == [], view.messages
    assert view.requests == [view.file.resolve().as_uri()], view.requests  # the file only


def assert_sankey_matches(view: Page, run, scenario: str, year: int, mode: str,
                          detail: str = "region") -> None:
    view.page.wait_for_selector(f'#chart-sankey[data-view="{scenario}|{year}|{mode}|{detail}"]')
    graph = value_stream(run.tables, run.dims, scenario, year, detail)
    _, bands = coloured_links(graph, mode)
    assert view.count("#chart-sankey .sankey-node") == len(graph.node_id)
    assert view.count("#chart-sankey .sankey-link") == len(bands)
    title = view.page.locator("#chart-sankey .gtitle").text_content()
    assert f"{scenario}, {year}" in title


@pytest.fixture(scope="module")
def uk_report(uk_run):
    return write_report(uk_run)


def test_uk_report_loads_offline_and_every_chart_renders(browser, uk_run, uk_report, tmp_path):
    view = Page(browser, uk_report)
    assert_clean(view)
    charts = view.count("div.chart")
    assert charts >= 10
    assert view.count("div.chart .main-svg") >= charts  # every chart has drawn its SVG
    run = load_run(uk_run)
    assert_sankey_matches(view, run, run.scenarios[0], 2035, "loop")
    assert view.count("#chart-capacity .bars path") > 0
    assert view.count("#pain-ranking li") == 25
    shot = tmp_path / "uk-report.png"
    view.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 100_000


def test_selectors_redraw_the_sankey(browser, uk_run, uk_report):
    run = load_run(uk_run)
    view = Page(browser, uk_report)
    view.page.select_option("#sankey-year", "2050")
    assert_sankey_matches(view, run, run.scenarios[0], 2050, "loop")
    view.page.select_option("#sankey-colour", "country")
    assert_sankey_matches(view, run, run.scenarios[0], 2050, "country")
    view.page.select_option("#scenario-select", "escalation_2027")
    view.page.select_option("#sankey-year", "2027")
    assert_sankey_matches(view, run, "escalation_2027", 2027, "country")
    short = run.tables["shortfall"]
    unmet = bool(((short["scenario"] == "escalation_2027") & (short["year"] == 2027) &
                  (short["region"] == "GB_BHM") & (short["shortfall_t"] > 0)).any())
    labels = view.page.locator("#chart-sankey .sankey-node .node-label").all_text_contents()
    assert any(x.startswith("unmet demand, Birmingham") for x in labels) == unmet
    view.page.select_option("#sankey-detail", "country")
    assert_sankey_matches(view, run, "escalation_2027", 2027, "country", "country")
    labels = view.page.locator("#chart-sankey .sankey-node .node-label").all_text_contents()
    assert any(x.startswith("unmet demand, GB \u00b7 ") for x in labels) == unmet
    assert_clean(view)


def test_hostile_names_show_as_text(browser, toy_run, tmp_path):
    report = write_report(hostile_run(toy_run, tmp_path / "run"))
    view = Page(browser, report)
    assert view.page.locator("header h1").inner_text().startswith(HOSTILE)
    assert view.page.evaluate("window.pwned") is None
    assert view.dialogs == []
    assert HOSTILE in view.page.locator("#capacity table").inner_text()
    assert_clean(view)


def test_pareto_point_click_shows_its_decisions(browser, tmp_path):
    out = tmp_path / "front"
    result = CliRunner().invoke(main, ["pareto", str(ROOT / "instances/toy"), "--objectives",
                                       "cost,emissions", "--points", "3", "--out", str(out),
                                       "--report", "--mip-gap", "0"])
    assert result.exit_code == 0, result.output
    view = Page(browser, out / "report.html")
    assert_clean(view)
    points = view.page.locator("#chart-pareto .scatterlayer .point")
    assert points.count() >= 2
    assert view.page.locator("#pareto-point-1").is_visible()
    numbers = view.page.evaluate("document.getElementById('chart-pareto').data[0].customdata")
    i = next(i for i, n in enumerate(numbers) if n != 1)  # a point other than the one shown
    view.page.locator("#chart-pareto").scroll_into_view_if_needed()
    box = points.nth(i).bounding_box()
    view.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    view.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    view.page.wait_for_selector(f"#pareto-point-{numbers[i]}.shown")
    assert view.count(".pareto-point.shown") == 1
    assert not view.page.locator("#pareto-point-1").is_visible()


def test_comparison_report_renders(browser, toy_run, tmp_path):
    second = tmp_path / "second"
    shutil.copytree(toy_run, second)
    view = Page(browser, write_compare([toy_run, second], tmp_path / "cmp"))
    assert_clean(view)
    assert view.count("div.chart .main-svg") >= view.count("div.chart") == 3


def overlap(a: dict | None, b: dict | None) -> bool:
    """Whether two bounding boxes ({x, y, width, height}) share any area."""
    if not a or not b or not a["width"] or not b["width"]:
        return False
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and
            a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


@pytest.mark.parametrize("width", [800, 1400])
def test_charts_keep_titles_and_labels_clear_at_both_widths(browser, uk_report, width):
    """No chart's title lies under its toolbar, and every label of the value-stream map lies
    inside the chart."""
    view = Page(browser, uk_report, width)
    for chart in view.page.locator("div.chart").all():
        chart.hover()  # the toolbar shows on hover
        title, bar = chart.locator(".gtitle"), chart.locator(".modebar")
        if title.count() and bar.count():
            assert not overlap(title.first.bounding_box(), bar.first.bounding_box()), \
                chart.get_attribute("id")
    area = view.page.locator("#chart-sankey .main-svg").first.bounding_box()
    for label in view.page.locator("#chart-sankey .node-label").all():
        box = label.bounding_box()
        if box and box["width"]:
            assert area["x"] - 1 <= box["x"] and box["x"] + box["width"] <= \
                area["x"] + area["width"] + 1, label.text_content()
    assert_clean(view)


def test_unmet_demand_is_a_gap_at_the_demand_end(browser, tmp_path):
    """The toy with China's offers capped leaves magnets unmet: the unmet-demand node sits to
    the right of the demand node it leaves, never among the sources on the left."""
    out = tmp_path / "short"
    result = CliRunner().invoke(main, [
        "solve", str(ROOT / "instances/toy"), "--out", str(out), "--mip-gap", "0", "--report",
        "--set", "offers.cn_magnets.max_t=30", "--set", "offers.cn_oxide.max_t=30"])
    assert result.exit_code == 0, result.output
    view = Page(browser, out / "report.html", 800)
    view.page.select_option("#sankey-year", "2030")
    view.page.wait_for_selector('#chart-sankey[data-view="base|2030|loop|region"]')

    def left(prefix: str) -> float:
        label = view.page.locator("#chart-sankey .sankey-node", has=view.page.locator(
            ".node-label", has_text=prefix)).first
        return label.locator(".node-rect").bounding_box()["x"]

    # "Sintered NdFeB magnet demanded, UK", shortened on a narrow page at a word, its place kept
    assert left("unmet demand, UK") > left("Sintered NdFeB magnet\u2026, UK")
    assert_clean(view)


def test_the_drawn_recycled_share_is_the_policy_measure(browser, tmp_path):
    """In the page as drawn, the recycled-share series set against a 30 % target is the share
    policy_status.csv gives, year by year."""
    import pandas as pd

    out = tmp_path / "mandate"
    result = CliRunner().invoke(main, [
        "solve", str(ROOT / "instances/toy"), "--out", str(out), "--mip-gap", "0", "--report",
        "--policy", "min_recycled_share=0.3@2028"])
    assert result.exit_code == 0, result.output
    view = Page(browser, out / "report.html", 800)
    drawn = view.page.evaluate(
        "() => document.getElementById('chart-shares').data.map(t => [t.name, t.x, t.y])")
    series = {name: (x, y) for name, x, y in drawn}
    x, y = series["recycled share of demand as the target counts it (rare-earth content)"]
    status = pd.read_csv(out / "policy_status.csv")
    assert x == status["year"].tolist()
    assert y == pytest.approx(status["achieved"].tolist(), abs=1e-5)  # the page keeps 6 digits
    assert "target: recycled share of demand at least 30 % from 2028, all domestic regions" \
        in series
    assert_clean(view)
