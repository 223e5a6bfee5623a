"""Sweeps: axes, factorial and Latin-hypercube points, local processes and a Dask LocalCluster
giving the same results, failed points recorded, interrupted sweeps resumed."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.errors import InputError
from planner.sweep import grid_points, parse_axis
from tests.conftest import ROOT

TOY = ROOT / "instances/toy"
GRID = ["--grid", "offers.cn_magnets.price_per_t*=0.8:1.2:2", "--grid", "discount_rate=0,0.05"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def results(folder) -> pd.DataFrame:
    return pd.read_csv(folder / "sweep.csv").drop(columns="seconds")


def test_axes_and_points():
    price = parse_axis("offers.cn_oxide.price_per_t=60000:150000:10")
    assert price.values[:3] == ("60000", "70000", "80000") and len(price.values) == 10
    assert price.name == "offers.cn_oxide.price_per_t"
    scale = parse_axis("demand[*].demand_t*=0.5:1.5:3")
    assert (scale.name, scale.values) == ("demand[*].demand_t*", ("0.5", "1", "1.5"))
    assert parse_axis("discount_rate=0,0.035").values == ("0", "0.035")
    for bad in ("discount_rate=1:2", "discount_rate=", "x=1:2:0"):
        with pytest.raises(InputError):
            parse_axis(bad)
    points = grid_points([price, scale])
    assert len(points) == 30 and points[1] == {"offers.cn_oxide.price_per_t": "60000",
                                               "demand[*].demand_t*": "1"}
    lhs = grid_points([price, scale], samples=5, seed=3)
    prices = sorted(float(p["offers.cn_oxide.price_per_t"]) for p in lhs)
    # one sample in each fifth of the range
    assert [int((v - 60000) // 18000) for v in prices] == [0, 1, 2, 3, 4]


@pytest.mark.slow
def test_local_processes_and_a_dask_cluster_agree(tmp_path):
    pytest.importorskip("dask.distributed")
    local, dask = tmp_path / "local", tmp_path / "dask"
    result = run("sweep", TOY, *GRID, "--workers", "2", "--out", local, "--mip-gap", "0")
    assert result.exit_code == 0, result.output
    assert "4 of 4 points solved (0 failed)" in result.output
    result = run("sweep", TOY, *GRID, "--workers", "2", "--scheduler", "local", "--out", dask,
                 "--mip-gap", "0")
    assert result.exit_code == 0, result.output
    a, b = results(local), results(dask)
    pd.testing.assert_frame_equal(a, b)
    assert list(a["status"]) == ["optimal"] * 4
    assert a["cost"].is_unique and (a["cost"] > 0).all()
    for n in range(1, 5):
        folder = local / "points" / f"point_{n:04d}"
        assert json.loads((folder / "point.json").read_text())["point"] == n
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["objectives"]["cost"] == pytest.approx(a.loc[n - 1, "cost"])
        assert (folder / "instance" / "offers.csv").is_file()


def test_a_failed_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    out = tmp_path / "sweep"
    result = run("sweep", TOY, "--grid", "facilities.uk_hpms.max_modules=1,lots,2",
                 "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv", keep_default_na=False)
    assert list(table["status"]) == ["optimal", "failed", "optimal"]
    assert "not a number: 'lots'" in table.loc[1, "error"]
    assert not (out / "points" / "point_0002").exists()


def test_an_interrupted_sweep_resumes(tmp_path):
    out = tmp_path / "sweep"
    assert run("sweep", TOY, *GRID, "--out", out).exit_code == 0
    kept = out / "points" / "point_0001" / "point.json"
    stamp = kept.stat().st_mtime_ns
    import shutil
    shutil.rmtree(out / "points" / "point_0003")  # as if stopped before point 3 finished
    (out / "sweep.csv").unlink()
    assert run("sweep", TOY, *GRID, "--out", out).exit_code == 1  # exists: --resume needed
    result = run("sweep", TOY, *GRID, "--out", out, "--resume")
    assert result.exit_code == 0, result.output
    assert kept.stat().st_mtime_ns == stamp  # not solved again
    assert (out / "points" / "point_0003" / "summary.json").is_file()
    assert list(pd.read_csv(out / "sweep.csv")["status"]) == ["optimal"] * 4
    result = run("sweep", TOY, "--grid", "discount_rate=0.1", "--out", out, "--resume")
    assert result.exit_code == 1 and "holds a different sweep" in result.output
