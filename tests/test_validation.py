"""Bad input: one test per class, each asserting the message names file, line and column,
that every problem is reported at once, the exit status is 3 and nothing is written."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.data.load import read_instance
from tests.conftest import ROOT


@pytest.fixture
def toy(tmp_path):
    folder = tmp_path / "toy"
    shutil.copytree(ROOT / "instances/toy", folder)
    shutil.copy(ROOT / "models/toy.yaml", folder / "toy.yaml")
    return folder


def problems_of(folder):
    instance, problems = read_instance(folder)
    return instance, [str(p) for p in problems]


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def errors(folder):
    instance, messages = problems_of(folder)
    assert instance is None
    return messages


def test_clean_instance_validates(toy):
    result = CliRunner().invoke(main, ["validate", str(toy)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_unknown_reference_names_file_line_column(toy):
    edit(toy / "facilities.csv", "uk_hpms,hpms,UK", "uk_hpms,hpms,UKK")
    assert errors(toy) == [f"{toy}/facilities.csv:3:region: unknown region 'UKK' "
                           "(expected one of UK, CN; did you mean 'UK'?)"]


def test_unknown_process_and_commodity(toy):
    edit(toy / "facilities.csv", "uk_hpms,hpms,", "uk_hpms,hmps,")
    edit(toy / "links.csv", "CN,UK,magnet", "CN,UK,magnett")
    found = errors(toy)
    assert any(m.startswith(f"{toy}/facilities.csv:3:process: unknown process 'hmps'")
               for m in found)
    assert any(m.startswith(f"{toy}/links.csv:3:commodity: unknown commodity 'magnett'")
               for m in found)


def test_duplicate_id(toy):
    edit(toy / "offers.csv", "cn_magnets,", "cn_oxide,")
    assert errors(toy) == [f"{toy}/offers.csv:3:offer: duplicate offer 'cn_oxide' "
                           "(first on line 2) (expected each id once)"]


def test_negative_and_non_numeric_values_all_at_once(toy):
    edit(toy / "demand.csv", "UK,magnet,2026,120", "UK,magnet,2026,-120")
    edit(toy / "offers.csv", "cn_oxide,CN,oxide,60000", "cn_oxide,CN,oxide,sixty")
    edit(toy / "regions.csv", "UK,GB,true,0.25", "UK,GB,maybe,1.25")
    found = errors(toy)
    assert f"{toy}/demand.csv:3:demand_t: value -120 out of range (expected a number in " \
           "[0, 1e+09])" \
        in found
    assert f"{toy}/offers.csv:2:price_per_t: not a number: 'sixty' (expected a number >= 0)" \
        in found
    assert f"{toy}/regions.csv:2:domestic: invalid value 'maybe' (expected true or false)" \
        in found
    assert f"{toy}/regions.csv:2:risk: value 1.25 out of range (expected a number in [0, 1])" \
        in found


def test_year_outside_horizon(toy):
    edit(toy / "demand.csv", "UK,magnet,2030,200", "UK,magnet,2031,200")
    edit(toy / "facilities.csv", "1000,1,2026,15", "1000,1,2040,15")
    found = errors(toy)
    assert any(m.startswith(f"{toy}/demand.csv:7:year: year 2031 is not a model year")
               for m in found)
    assert any(m.startswith(f"{toy}/facilities.csv:3:earliest_year: year 2040 outside")
               for m in found)


def test_inflows_after_the_horizon_are_refused(toy):
    """Inflows in the horizon (products imported with magnets inside) are data; a row after
    its last calendar year would never arrive."""
    edit(toy / "product_inflows.csv", "motor,2024,80", "motor,2024,80\nmotor,2030,5\nmotor,2031,5")
    assert errors(toy) == [f"{toy}/product_inflows.csv:8:year: year 2031 is after the horizon "
                           "(expected a calendar year up to 2030, the last the horizon covers)"]


def test_empty_file(toy):
    (toy / "links.csv").write_text("")
    assert errors(toy) == [f"{toy}/links.csv:1: the file is empty (expected a header row: "
                           "origin, destination, commodity, cost_per_t, kgco2e_per_t, max_t, "
                           "loss, tariff_per_t, distance_km, mode)"]


def test_missing_required_table(toy):
    (toy / "regions.csv").unlink()
    found = errors(toy)
    assert found[0].startswith(f"{toy}/regions.csv: missing required table")


def test_wrong_delimiter(toy):
    edit(toy / "regions.csv", "region,country,domestic,risk,grid_kgco2e_per_kwh",
         "region;country;domestic;risk;grid_kgco2e_per_kwh")
    assert errors(toy) == [f"{toy}/regions.csv:1: the header is not comma-separated "
                           "(found ';') (expected comma-separated columns)"]


def test_wrong_field_count_and_unknown_column(toy):
    edit(toy / "demand.csv", "UK,magnet,2027,140,motor", "UK,magnet,2027,140,motor,extra")
    edit(toy / "links.csv", "max_t,mode", "max_tonnes,mode")
    found = errors(toy)
    assert f"{toy}/demand.csv:4: row has 6 fields (expected 5 fields like the header)" in found
    assert any(m.startswith(f"{toy}/links.csv:1:max_tonnes: unknown column 'max_tonnes'")
               for m in found)


def test_missing_required_column(toy):
    edit(toy / "demand.csv", "region,commodity,year,demand_t,product",
         "region,commodity,year,product")
    edit(toy / "demand.csv", ",100,motor", ",motor")
    found = errors(toy)
    assert any(m.startswith(f"{toy}/demand.csv:1:demand_t: required column 'demand_t' is "
                            "missing") for m in found)


def test_malformed_yaml(toy):
    (toy / "instance.yaml").write_text("name: toy\nyears: {start: 2025, end: 2030\nmodel: toy\n")
    found = errors(toy)
    assert len(found) == 1
    assert found[0].startswith(f"{toy}/instance.yaml:3: malformed YAML")


def test_bad_settings(toy):
    edit(toy / "instance.yaml", "discount_rate: 0.0", "discount_rate: high")
    edit(toy / "instance.yaml", "objective: cost", "objective: cheapest")
    found = errors(toy)
    assert f"{toy}/instance.yaml:7:discount_rate: invalid value 'high' (expected a number >= 0)" \
        in found
    assert any(m.startswith(f"{toy}/instance.yaml:9:objective: unknown objective 'cheapest'")
               for m in found)


def test_bad_build_years(toy):
    with (toy / "instance.yaml").open("a") as f:
        f.write("build_years: [2025, 2031, 2025, soon]\n")
    found = errors(toy)
    line = len((toy / "instance.yaml").read_text().splitlines())
    stem = f"{toy}/instance.yaml:{line}:build_years"
    assert f"{stem}.1: 2031 is not a model year (expected a model year from 2025 to 2030)" in found
    assert f"{stem}.2: 2025 is listed twice (expected each year once)" in found
    assert f"{stem}.3: 'soon' is not a model year (expected a model year from 2025 to 2030)" \
        in found


def test_chain_errors_name_the_key(toy):
    edit(toy / "instance.yaml", "model: toy", "model: toy.yaml")
    edit(toy / "toy.yaml", "inputs: {oxide: 0.5}", "inputs: {oxyde: 0.5}")
    edit(toy / "toy.yaml", "lifetime: {distribution: fixed, mean: 5}",
         "lifetime: {distribution: gamma, mean: 5}")
    found = errors(toy)
    assert f"{toy}/toy.yaml:12:processes.magnet_making.inputs.oxyde: unknown commodity " \
           "'oxyde' (expected a commodity listed under commodities)" in found
    assert any(m.startswith(f"{toy}/toy.yaml:26:products.motor.lifetime.distribution: "
                            "unknown distribution 'gamma'") for m in found)


def test_process_whose_inputs_can_never_be_supplied(toy):
    edit(toy / "links.csv", "CN,UK,oxide", "CN,UK,magnet_x")
    edit(toy / "links.csv", "CN,UK,magnet_x", "UK,CN,oxide")
    found = errors(toy)
    assert any(m.startswith(f"{toy}/facilities.csv:2:process: facility 'uk_magnets' can never "
                            "run: nothing supplies oxide at UK") for m in found)


def test_unreachable_demand_is_a_warning(toy):
    with (toy / "regions.csv").open("a") as f:
        f.write("FR,FR,true,0.2,0.05\n")
    with (toy / "demand.csv").open("a") as f:
        f.write("FR,magnet,2025,5,\n")
    instance, found = problems_of(toy)
    assert instance is not None
    assert found == [f"{toy}/demand.csv:8:commodity: no route supplies magnet at FR: all of it "
                     "will be unmet (expected an offer, link or facility that can reach it) "
                     "[warning]"]


def test_cli_reports_all_problems_and_writes_nothing(toy, tmp_path):
    edit(toy / "demand.csv", "UK,magnet,2026,120", "UK,magnet,2026,-120")
    edit(toy / "offers.csv", "cn_oxide,CN,oxide,60000", "cn_oxide,CN,oxide,sixty")
    out = tmp_path / "run"
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(toy)])
    assert result.exit_code == 3
    assert "demand.csv:3:demand_t" in result.output and "offers.csv:2:price_per_t" in result.output
    assert "nothing was written" not in result.output  # validate never writes
    result = runner.invoke(main, ["solve", str(toy), "--out", str(out)])
    assert result.exit_code == 3
    assert "2 error(s); nothing was written" in result.output
    assert not out.exists()


def test_loading_does_not_change_files(toy):
    before = {p.name: p.read_bytes() for p in toy.iterdir()}
    read_instance(toy)
    assert {p.name: p.read_bytes() for p in toy.iterdir()} == before


def test_instance_format_doc_matches_the_schema():
    from planner.data.docs import BEGIN, END, render_tables

    doc = (ROOT / "docs/instance-format.md").read_text()
    assert doc[doc.index(BEGIN) + len(BEGIN):doc.index(END)] == render_tables() + "\n"


def test_numbers_in_exponent_form_are_numbers(toy):
    """YAML 1.1 reads 1.0e6 as text; the loader accepts it as the number it is."""
    edit(toy / "instance.yaml", "shortage_penalty_per_t: 100000", "shortage_penalty_per_t: 1.0e5")
    instance, _ = problems_of(toy)
    assert instance.settings.shortage_penalty_per_t == 1.0e5


def test_missing_settings_and_unknown_model(toy, tmp_path):
    edit(toy / "instance.yaml", "model: toy", "model: no-such-chain")
    assert errors(toy) == [f"{toy}/instance.yaml:3:model: value-chain model 'no-such-chain' not "
                           "found (expected a model name (e.g. ndfeb) or the path of a .yaml "
                           "file, relative to the instance folder)"]
    (toy / "instance.yaml").unlink()
    assert errors(toy)[0] == (f"{toy}/instance.yaml: missing file (expected instance.yaml with "
                              "name, model and years)")
    assert errors(tmp_path / "nowhere") == [f"{tmp_path}/nowhere: not a folder (expected an "
                                            "instance folder with instance.yaml and CSV tables)"]
