"""Careless and hostile input: nothing the user owns is deleted, no file outside the instance is
read or echoed, bad YAML, CSV and numbers are input errors (exit 3, file:line), options are
range-checked (exit 2), and no command leaves temporary folders or names them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.runs import MARKER, check_target, is_run_folder
from planner.scratch import make_scratch, remove_stale
from tests.conftest import ROOT


@pytest.fixture
def toy(tmp_path):
    folder = tmp_path / "work" / "toy"
    shutil.copytree(ROOT / "instances/toy", folder)
    shutil.copy(ROOT / "models/toy.yaml", folder / "m.yaml")
    edit(folder / "instance.yaml", "model: toy", "model: m")
    return folder


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def tree(folder):
    return sorted((str(p.relative_to(folder)), p.read_bytes() if p.is_file() else b"")
                  for p in folder.rglob("*"))


def input_error(result, *expected):
    """Exit 3, no traceback or 'unexpected', and every expected fragment in the output."""
    assert result.exit_code == 3, result.output
    assert "unexpected" not in result.output and "Traceback" not in result.output
    for fragment in expected:
        assert fragment in result.output, result.output
    return result.output


# 1. --force replaces only run folders, never the instance or a folder holding it ------------

@pytest.mark.parametrize("target", ["instance", "parent", "cwd"])
def test_force_never_deletes_the_instance_or_its_parent(toy, target, monkeypatch):
    monkeypatch.chdir(toy.parent)
    (toy.parent / "notes.txt").write_text("mine")
    before = tree(toy.parent)
    out = {"instance": toy, "parent": toy.parent, "cwd": "."}[target]
    result = run("solve", toy, "--out", out, "--force")
    assert result.exit_code == 1
    assert "which this command reads or runs in" in result.output
    assert tree(toy.parent) == before


def test_force_refuses_a_folder_that_is_not_a_run(toy, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    result = run("solve", toy, "--out", mine, "--force")
    assert result.exit_code == 1 and "is not a run folder of planner" in result.output
    assert (mine / "thesis.tex").read_text() == "years of work"


def test_force_replaces_a_run_folder(toy, tmp_path):
    out = tmp_path / "run"
    assert run("solve", toy, "--out", out).exit_code == 0
    assert is_run_folder(out) and (out / MARKER).is_file()
    (out / "stale.csv").write_text("old")
    assert run("solve", toy, "--out", out, "--force").exit_code == 0
    assert not (out / "stale.csv").exists() and (out / "summary.json").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_rerun_and_compare_cannot_replace_what_they_read(toy, tmp_path):
    out = tmp_path / "run"
    assert run("solve", toy, "--out", out).exit_code == 0
    before = tree(out)
    result = run("rerun", out, "--out", out, "--force")
    assert result.exit_code == 1 and "which this command reads" in result.output
    result = run("compare", out, out, "--out", out, "--force")
    assert result.exit_code == 1 and "which this command reads" in result.output
    assert tree(out) == before


def test_sweep_force_refuses_a_folder_that_is_not_a_run(toy, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("a,b\n")
    result = run("sweep", toy, "--grid", "discount_rate=0.01,0.02", "--out", mine, "--force")
    assert result.exit_code == 1 and "not a run folder" in result.output
    assert (mine / "data.csv").is_file()


def test_legacy_run_folders_are_recognised(tmp_path):
    old = tmp_path / "old"
    (old / "instance").mkdir(parents=True)
    for name in ("summary.json", "builds.csv", "report.html"):
        (old / name).write_text("x")
    assert is_run_folder(old)
    (old / "instance.yaml").write_text("name: x")
    assert not is_run_folder(old)
    check_target(tmp_path / "new", force=False)


def test_unwritable_out_is_refused_before_solving(toy, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("solve", toy, "--out", blocker / "run")
    assert result.exit_code == 1 and "is not a folder" in result.output
    assert "summary" not in result.output  # refused before any solve


# 2. `model:` reads only models or .yaml files, and echoes nothing that is not a model ---------

@pytest.mark.parametrize("model", ["/etc/passwd", "../../../../../../etc/passwd",
                                   "../../../../../../etc", "no_such_model"])
def test_model_outside_models_or_not_yaml_is_refused(toy, model):
    edit(toy / "instance.yaml", "model: m", f"model: {model}")
    output = input_error(run("validate", toy), f"{toy}/instance.yaml:3:model: value-chain model")
    assert "root:" not in output


def test_a_yaml_file_that_is_no_model_is_not_echoed(toy):
    (toy / "evil.yaml").write_text(open("/etc/passwd").read() if os.path.exists("/etc/passwd")
                                   else "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1\n")
    edit(toy / "instance.yaml", "model: m", "model: evil.yaml")
    output = input_error(run("validate", toy), "evil.yaml:1: not a value-chain model")
    assert "root:" not in output and output.count("\n") == 2


def test_named_model_resolves_to_the_bundled_models(toy):
    edit(toy / "instance.yaml", "model: m", "model: toy")
    assert run("validate", toy).exit_code == 0


# 3. and 4. YAML: alias bombs, recursion, tags, encodings, malformed text, --set values ------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))


@pytest.mark.parametrize("where", ["instance.yaml", "m.yaml"])
def test_alias_bomb_is_refused_at_once(toy, where):
    with open(toy / where, "a") as f:
        f.write("variants:\n  bomb:\n" if where == "instance.yaml" else "")
        f.write(BOMB if where == "m.yaml" else "".join("    " + line + "\n"
                                                        for line in BOMB.splitlines()))
    start = time.perf_counter()
    input_error(run("validate", toy), f"{toy}/{where}:", "aliases nested too deeply")
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("text, message", [
    ("name: {a: 1\n", "instance.yaml:11: malformed YAML: expected ',' or '}'"),
    ("loop: &a [*a]\n", "instance.yaml:10: a recursive alias"),
    ("x: !!python/object/apply:os.system ['echo hacked']\n", "instance.yaml:10: the tag"),
    ("y: !!python/name:os.system\n", "instance.yaml:10: malformed YAML: could not determine"),
    ("name: again\n", "instance.yaml:10: key 'name' appears twice"),
])
def test_malformed_instance_yaml_is_an_input_error(toy, text, message):
    with open(toy / "instance.yaml", "a") as f:
        f.write(text)
    output = input_error(run("validate", toy), f"{toy}/{message}")
    assert "hacked" not in output


def test_utf16_instance_yaml_is_an_input_error(toy):
    text = (toy / "instance.yaml").read_text()
    (toy / "instance.yaml").write_bytes(text.encode("utf-16"))
    input_error(run("validate", toy), f"{toy}/instance.yaml: not UTF-8 text")


@pytest.mark.parametrize("change, message", [
    ("name={{{", "--set: name={{{: not a value: malformed YAML"),
    ("years.end=12025", "years.end: invalid value 12025"),
    ("shortage_penalty_per_t=.inf", "shortage_penalty_per_t: invalid value inf"),
    ("discount_rate=.nan", "discount_rate: invalid value nan"),
    ("demand[*].demand_t=1e20", "--set: demand[*].demand_t=1e20: value 1e20 is too large"),
])
def test_bad_set_values_are_input_errors(toy, change, message):
    input_error(run("validate", toy, "--set", change), message)


# 5. a blank or invalid id is one problem, without follow-on noise ---------------------------

def test_blank_region_id_is_one_problem(toy):
    edit(toy / "regions.csv", "CN,CN,false", ",CN,false")
    output = input_error(run("validate", toy), f"{toy}/regions.csv:3:region: missing value")
    assert "None" not in output and "nan" not in output
    assert "unknown region 'CN'" in output  # the facilities still name it: true, and said


def test_bad_cell_raises_no_follow_on_problems(toy):
    edit(toy / "regions.csv", "CN,CN,false,0.57", "CN,CN,false,high")
    edit(toy / "demand.csv", "UK,magnet,2026", "UK,magnet,20x6")
    output = input_error(run("validate", toy))
    lines = output.strip().splitlines()
    assert lines == [f"{toy}/regions.csv:3:risk: not a number: 'high' (expected a number in "
                     "[0, 1])",
                     f"{toy}/demand.csv:3:year: not a number: '20x6' (expected a year in "
                     "1900..2200)",
                     "2 error(s)"]  # validate writes nothing, so it does not say so


# 6. non-finite and absurd numbers -------------------------------------------------------------

@pytest.mark.parametrize("file, old, new, message", [
    ("instance.yaml", "shortage_penalty_per_t: 100000", "shortage_penalty_per_t: .inf",
     "instance.yaml:8:shortage_penalty_per_t: invalid value inf"),
    ("m.yaml", "electricity_kwh_per_t: 1000", "electricity_kwh_per_t: .nan",
     "m.yaml:14:processes.magnet_making.electricity_kwh_per_t: invalid value nan"),
    ("demand.csv", "UK,magnet,2025,100", "UK,magnet,2025,1e20",
     "demand.csv:2:demand_t: value 1e20 is too large for the solver's numerics"),
    ("offers.csv", ",60000,", ",inf,", "offers.csv:2:price_per_t: not a finite number: 'inf'"),
    ("instance.yaml", "end: 2030}", "end: 12025}", "instance.yaml:5:years.end: invalid value"),
    ("instance.yaml", "end: 2030}", "end: 2200}",
     "instance.yaml:5:years.end: 176 model years (expected at most 100 model years"),
])
def test_non_finite_and_absurd_numbers_are_refused(toy, file, old, new, message):
    edit(toy / file, old, new)
    input_error(run("validate", toy), f"{toy}/{message}")


# 7. options, duplicate keys, quoted line breaks, and a cap on what is printed ---------------

@pytest.mark.parametrize("option", [["--mip-gap", "2"], ["--mip-gap", "nan"],
                                    ["--time-limit", "nan"], ["--time-limit", "inf"],
                                    ["--time-limit", "-1"], ["--limit", "cost=nan"]])
def test_out_of_range_options_are_usage_errors(toy, tmp_path, option):
    result = run("solve", toy, "--out", tmp_path / "run", *option)
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "run").exists()


def test_quoted_line_break_is_reported_where_it_is(toy):
    edit(toy / "regions.csv", "CN,CN,false,0.57,0.55", 'CN,CN,false,0.57,0.55,"two\nlines"')
    edit(toy / "regions.csv", "grid_kgco2e_per_kwh", "grid_kgco2e_per_kwh,description")
    input_error(run("validate", toy), f"{toy}/regions.csv:3: a quoted cell is not closed")


def test_printed_problems_are_capped(toy):
    lines = (toy / "demand.csv").read_text().splitlines()
    (toy / "demand.csv").write_text("\n".join(lines[:2] + [lines[1]] * 5000) + "\n")
    output = input_error(run("validate", toy), "4,950 more problem(s) not shown",
                         "5,000 error(s)")
    assert output.count("\n") == 52


# 8. exits and paths in messages, corrupt records, temporary folders -------------------------

@pytest.mark.parametrize("command", ["validate", "solve"])
def test_missing_instance_or_file_is_an_input_error(tmp_path, command):
    extra = ["--out", tmp_path / "run"] if command == "solve" else []
    input_error(run(command, tmp_path / "nowhere", *extra), "nowhere: no such folder")
    (tmp_path / "file").write_text("x")
    input_error(run(command, tmp_path / "file", *extra), "file: not a folder")


def test_problems_after_changes_name_the_users_files(toy, tmp_path):
    edit(toy / "demand.csv", "UK,magnet,2025,100", "UK,magnet,2025,abc")
    output = input_error(run("solve", toy, "--out", tmp_path / "run", "--set",
                             "discount_rate=0.1"), f"{toy}/demand.csv:2:demand_t: not a number")
    assert "planner-instance-" not in output and "/tmp/" not in output.replace(
        str(tmp_path), "")


@pytest.mark.parametrize("record", ["{bad", "[]", '{"command": "solve"}',
                                    '{"version": 1, "command": "solve", "request": {}}'])
def test_corrupt_command_record_is_a_plain_error(toy, tmp_path, record):
    out = tmp_path / "run"
    assert run("solve", toy, "--out", out).exit_code == 0
    (out / "command.json").write_text(record)
    for args in (["rerun", out, "--out", tmp_path / "again"],
                 ["whatif", toy, "--baseline", out, "--out", tmp_path / "w"]):
        result = run(*args)
        assert result.exit_code == 1, result.output
        assert "command.json: not " in result.output and "unexpected" not in result.output


def test_scratch_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f"planner-instance-{dead}.abc"
    (stale / "instance").mkdir(parents=True)
    mine = make_scratch(tmp_path, "planner-instance-")
    remove_stale(tmp_path, "planner-instance-")
    assert not stale.exists() and mine.exists()


def test_sigterm_removes_the_scratch_copy(toy, tmp_path):
    """A validate ended by SIGTERM exits 130 and leaves no scratch folder behind."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    code = ("import time, planner.data.overrides as o\n"
            "real = o.read_changed_instance\n"
            "def slow(*a):\n    r = real(*a); print('ready', flush=True); time.sleep(60)\n"
            "o.read_changed_instance = slow\n"
            "from planner.cli import main\nmain()\n")
    proc = subprocess.Popen([sys.executable, "-c", code, "validate", str(toy)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("planner-")] == []


def test_run_folder_marker_is_json(toy, tmp_path):
    out = tmp_path / "run"
    assert run("solve", toy, "--out", out).exit_code == 0
    assert "planner" in json.loads((out / MARKER).read_text())


def test_a_record_of_planner_0_1_still_reruns(toy, tmp_path):
    """command.json before the versioned request held the command's options by name."""
    out = tmp_path / "run"
    assert run("solve", toy, "--out", out, "--mip-gap", "0", "--threads", "1").exit_code == 0
    (out / "command.json").write_text(json.dumps({
        "command": "solve", "params": {"instance_dir": str(toy), "mip_gap": 0.0, "threads": 1,
                                       "time_limit": None, "seed": None, "sets": [],
                                       "limit_texts": [], "with_report": False}}))
    result = run("rerun", out, "--out", tmp_path / "again")
    assert result.exit_code == 0, result.output
    again = json.loads((tmp_path / "again" / "command.json").read_text())
    assert again["version"] == 1 and again["request"]["solver"]["mip_gap"] == 0.0
    for name in ("builds.csv", "flows.csv", "costs.csv"):
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
