"""Generate a synthetic planner instance of any size (deterministic for a given seed).

    python benchmarks/generate.py OUT_DIR --regions R --facilities-per-region F --years Y \
        --commodities C [--scenarios S] [--seed N] [--domestic D]

The instance folder gets instance.yaml, its own value-chain file chain.yaml (referenced by the
relative path in `model:`) and the CSV tables regions, facilities, links, offers, demand and
product_inflows.

Design
------
* Value chain: a linear chain of C commodities c0 (raw) .. c{C-1} (final product); process
  step_k turns 1.1 t of c{k-1} into 1 t of c{k} (k = 1 .. C-1). One product `device` places
  c{C-1} in use; its end of life leaves as `eol` (disposable, with a disposal cost). One
  recycling process `recycle` (loop short_loop) turns 1.25 t of eol into 1 t of an intermediate
  (c{C-2}; c1 when C = 2).
* Regions: D domestic regions (default max(1, R // 5)) clustered close together, R - D overseas
  regions further away. Each overseas region offers the raw commodity, and some intermediates and
  the final product at random.
* Facilities: F per region on random processes. Overseas facilities have existing capacity only;
  domestic ones are candidates with integer modules (half of them also have some existing
  capacity), and each domestic region's first facility is a recycler. Any input an overseas
  facility needs that its region cannot otherwise get is offered there, so every facility can run.
* Links: from each overseas region to each domestic region for every commodity available at the
  overseas region, and between every pair of domestic regions for every commodity (eol
  included); the link count grows like R^2 * traded commodities.
* Demand: c{C-1} for product `device` at every domestic region, growing each year; historic
  inflows of the product (15 years before the first model year) at every domestic region.

Scenarios: with `--scenarios S` > 1, `base` plus S - 1 disruptions, each cutting one overseas
country's offer limits and raising its prices for a few years, with a demand change.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from pathlib import Path

import yaml

START_YEAR = 2025
HISTORY_YEARS = 15
STEP_INPUT = 1.1
RECYCLE_INPUT = 1.25


def commodity(k: int) -> str:
    return f"c{k}"


def chain_model(n_commodities: int) -> dict:
    """The value-chain YAML document (as a dict)."""
    c = n_commodities
    commodities = {commodity(0): {"description": "Raw material", "unit": "t"}}
    for k in range(1, c - 1):
        commodities[commodity(k)] = {"description": f"Intermediate {k}", "unit": "t"}
    commodities[commodity(c - 1)] = {"description": "Final product (placed in use)", "unit": "t"}
    commodities["eol"] = {"description": "End-of-life product", "unit": "t", "disposable": True,
                          "disposal_cost_per_t": 200, "disposal_kgco2e_per_t": 50}
    processes = {}
    for k in range(1, c):
        processes[f"step_{k}"] = {
            "description": f"Turns {commodity(k - 1)} into {commodity(k)}",
            "loop": "primary", "stage": f"stage_{k}",
            "inputs": {commodity(k - 1): STEP_INPUT}, "outputs": {commodity(k): 1.0},
            "electricity_kwh_per_t": 500 * k, "direct_kgco2e_per_t": 200 * k,
        }
    processes["recycle"] = {
        "description": "Short-loop recycling of end-of-life products into an intermediate",
        "loop": "short_loop", "stage": "recycling",
        "inputs": {"eol": RECYCLE_INPUT}, "outputs": {commodity(recycle_target(c)): 1.0},
        "electricity_kwh_per_t": 800, "direct_kgco2e_per_t": 100,
    }
    return {
        "name": "synthetic",
        "description": f"Synthetic linear chain of {c} commodities with one recycling loop",
        "commodities": commodities,
        "processes": processes,
        "products": {"device": {
            "description": "Product in use made of the final commodity",
            "placed_commodity": commodity(c - 1), "eol_commodity": "eol",
            "lifetime": {"distribution": "weibull", "shape": 2.5, "scale": 12},
        }},
    }


def recycle_target(n_commodities: int) -> int:
    return max(1, n_commodities - 2)


def price(k: int) -> float:
    """Market price of c{k}: raw 10 000 per t, each step adds about 45 %."""
    return 10_000.0 * 1.45 ** k


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def generate(out_dir: Path, regions: int, facilities_per_region: int, years: int,
             commodities: int, scenarios: int = 1, seed: int = 0,
             domestic: int | None = None) -> dict:
    """Write the instance into out_dir (created if needed); return a dict of its row counts."""
    if regions < 2:
        raise ValueError("--regions must be at least 2 (one domestic, one overseas)")
    if commodities < 2:
        raise ValueError("--commodities must be at least 2 (raw and final)")
    if years < 1 or facilities_per_region < 1:
        raise ValueError("--years and --facilities-per-region must be at least 1")
    n_dom = domestic if domestic is not None else max(1, regions // 5)
    if not 1 <= n_dom < regions:
        raise ValueError("--domestic must be between 1 and regions - 1")
    if scenarios < 1:
        raise ValueError("--scenarios must be at least 1")

    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    c = commodities
    final = commodity(c - 1)
    end_year = START_YEAR + years - 1
    steps = [f"step_{k}" for k in range(1, c)]

    # --- value chain and settings ----------------------------------------------------------
    with (out_dir / "chain.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(chain_model(c), handle, sort_keys=False)
    settings = {
        "name": f"synthetic-r{regions}-f{facilities_per_region}-y{years}-c{c}-s{seed}",
        "description": "Synthetic benchmark instance (benchmarks/generate.py)",
        "model": "chain.yaml",
        "currency": "GBP",
        "years": {"start": START_YEAR, "end": end_year},
        "base_year": START_YEAR,
        "discount_rate": 0.035,
        "shortage_penalty_per_t": 1.0e6,
        "objective": "cost",
    }
    with (out_dir / "instance.yaml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(settings, handle, sort_keys=False)

    # --- regions ----------------------------------------------------------------------------
    dom = [f"D{i:03d}" for i in range(n_dom)]
    ovs = [f"O{i:03d}" for i in range(regions - n_dom)]
    where: dict[str, tuple[float, float]] = {}
    region_rows = []
    for r in dom:
        where[r] = (rng.uniform(0, 600), rng.uniform(0, 600))
        region_rows.append([r, "GB", "true", round(rng.uniform(0.05, 0.3), 3),
                            round(rng.uniform(0.1, 0.3), 3)])
    for i, r in enumerate(ovs):
        angle = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(2_000, 20_000)
        where[r] = (300 + dist * math.cos(angle), 300 + dist * math.sin(angle))
        region_rows.append([r, f"X{i:03d}", "false", round(rng.uniform(0.1, 0.9), 3),
                            round(rng.uniform(0.2, 0.9), 3)])
    write_csv(out_dir / "regions.csv",
              ["region", "country", "domestic", "risk", "grid_kgco2e_per_kwh"], region_rows)

    # --- demand and historic inflows ----------------------------------------------------------
    demand_rows, inflow_rows = [], []
    base = {r: rng.uniform(100, 500) for r in dom}
    growth = {r: rng.uniform(0.02, 0.06) for r in dom}
    for r in dom:
        for t in range(years):
            demand_rows.append([r, final, START_YEAR + t,
                                round(base[r] * (1 + growth[r]) ** t, 2), "device"])
        for h in range(HISTORY_YEARS, 0, -1):
            inflow_rows.append(["device", START_YEAR - h,
                                round(base[r] * (1 + growth[r]) ** -h, 2), r])
    total_demand = sum(base.values())
    write_csv(out_dir / "demand.csv", ["region", "commodity", "year", "demand_t", "product"],
              demand_rows)
    write_csv(out_dir / "product_inflows.csv", ["product", "year", "placed_t", "region"],
              inflow_rows)

    # --- facilities ---------------------------------------------------------------------------
    header = ["facility", "process", "region", "existing_t", "module_t", "max_modules",
              "capex_per_module", "fixed_cost_per_t", "variable_cost_per_t", "lead_years",
              "earliest_year", "life_years"]
    facility_rows = []
    made: dict[str, set[str]] = {r: set() for r in ovs}
    needs: dict[str, set[str]] = {r: set() for r in ovs}
    per_dom = total_demand / n_dom
    for r in dom:
        for j in range(facilities_per_region):
            process = "recycle" if j == 0 else rng.choice(steps)
            k = c if process == "recycle" else int(process.split("_")[1])
            existing = round(rng.uniform(0.05, 0.3) * per_dom, 1) if rng.random() < 0.5 else 0
            module = round(rng.uniform(0.15, 0.5) * per_dom, 1)
            facility_rows.append([
                f"{r}_F{j}", process, r, existing, module, rng.randint(2, 4),
                round(module * rng.uniform(3_000, 8_000) * (1 + 0.2 * k), -3),
                round(rng.uniform(200, 800), 1), round(rng.uniform(500, 2_500) * (1 + 0.1 * k), 1),
                rng.randint(1, 3), START_YEAR if rng.random() < 0.5 else None,
                rng.randint(15, 25)])
    ovs_scale = 3 * total_demand / max(1, len(ovs)) * max(1, facilities_per_region / 2)
    for r in ovs:
        for j in range(facilities_per_region):
            k = rng.randint(1, c - 1)
            made[r].add(commodity(k))
            needs[r].add(commodity(k - 1))
            facility_rows.append([
                f"{r}_F{j}", f"step_{k}", r, round(rng.uniform(0.5, 2.0) * ovs_scale, 1), 0, 0,
                0, round(rng.uniform(100, 500), 1),
                round(rng.uniform(300, 2_000) * (1 + 0.1 * k), 1), 0, None, None])
    write_csv(out_dir / "facilities.csv", header, facility_rows)

    # --- offers -----------------------------------------------------------------------------
    offer_rows = []
    available: dict[str, set[str]] = {}
    chosen: dict[str, set[str]] = {}
    for r in ovs:
        offered = {commodity(0)}
        offered |= {commodity(k) for k in range(1, c - 1) if rng.random() < 0.5}
        if rng.random() < 0.3:
            offered.add(final)
        # every input a local facility needs is on offer, so every facility can run
        offered |= needs[r]
        chosen[r] = offered
    # every input of a domestic process is available at some overseas region
    for k in range(c - 1):
        if not any(commodity(k) in chosen[r] | made[r] for r in ovs):
            chosen[rng.choice(ovs)].add(commodity(k))
    for r in ovs:
        offered = chosen[r]
        for k in sorted(int(x[1:]) for x in offered):
            markup = rng.uniform(0.85, 1.3)
            limited = rng.random() < 0.6
            offer_rows.append([
                f"{r}_{commodity(k)}", r, commodity(k), round(price(k) * markup, 1),
                round(rng.uniform(0.5, 2.0) * total_demand / max(1, len(ovs)) * 3, 1)
                if limited else None,
                round(rng.uniform(2_000, 20_000) * (1 + 0.2 * k), 1), None, None])
        available[r] = offered | made[r]
    # a small domestic source of the raw material
    offer_rows.append([f"{dom[0]}_{commodity(0)}", dom[0], commodity(0),
                       round(price(0) * 1.4, 1), round(0.2 * total_demand, 1), 3_000.0,
                       START_YEAR + min(years - 1, 2), None])
    write_csv(out_dir / "offers.csv",
              ["offer", "region", "commodity", "price_per_t", "max_t", "kgco2e_per_t",
               "first_year", "last_year"], offer_rows)

    # --- links ------------------------------------------------------------------------------
    link_rows = []

    def distance(a: str, b: str) -> float:
        (xa, ya), (xb, yb) = where[a], where[b]
        return math.hypot(xa - xb, ya - yb)

    for o in ovs:
        traded = sorted(available[o], key=lambda x: int(x[1:]))
        for d in dom:
            km = distance(o, d)
            for name in traded:
                link_rows.append([o, d, name, round(50 + 0.02 * km * rng.uniform(0.8, 1.2), 2),
                                  round(0.015 * km, 2), None, round(rng.uniform(0, 0.01), 4),
                                  round(rng.uniform(0, 0.05) * price(int(name[1:])), 1),
                                  round(km, 1), "sea"])
    every = [commodity(k) for k in range(c)] + ["eol"]
    for a in dom:
        for b in dom:
            if a == b:
                continue
            km = distance(a, b)
            for name in every:
                link_rows.append([a, b, name, round(10 + 0.1 * km, 2), round(0.1 * km, 2),
                                  round(0.5 * total_demand, 1), 0, 0, round(km, 1), "road"])
    write_csv(out_dir / "links.csv",
              ["origin", "destination", "commodity", "cost_per_t", "kgco2e_per_t", "max_t",
               "loss", "tariff_per_t", "distance_km", "mode"], link_rows)
    # --- scenarios: `base` plus S - 1 disruptions of one overseas country each -----------------
    if scenarios > 1:
        weights = [2.0] + [rng.uniform(0.5, 1.5) for _ in range(scenarios - 1)]
        total = sum(weights)
        probabilities = [round(w / total, 6) for w in weights]
        probabilities[0] = round(1.0 - sum(probabilities[1:]), 6)
        names = ["base"] + [f"disruption_{i}" for i in range(1, scenarios)]
        write_csv(out_dir / "scenarios.csv", ["scenario", "probability", "description"],
                  [[n, p, "no disruption" if n == "base" else "one country's exports cut"]
                   for n, p in zip(names, probabilities)])
        effect_rows = []
        countries = [row[1] for row in region_rows if row[2] == "false"]
        for name in names[1:]:
            hit = rng.choice(countries)
            first = START_YEAR + rng.randrange(years)
            last = min(end_year, first + rng.randrange(1, 4))
            effect_rows += [
                [name, f"country:{hit}", "max_t", first, last, round(rng.uniform(0, 0.5), 3)],
                [name, f"country:{hit}", "price_per_t", first, last,
                 round(rng.uniform(1.2, 2.5), 3)],
                [name, "*", "demand_t", first, end_year, round(rng.uniform(0.9, 1.2), 3)],
            ]
        write_csv(out_dir / "scenario_effects.csv",
                  ["scenario", "target", "attribute", "from_year", "to_year", "multiply"],
                  effect_rows)
    return {"regions": regions, "domestic": n_dom, "facilities": len(facility_rows),
            "links": len(link_rows), "offers": len(offer_rows), "demand": len(demand_rows),
            "scenarios": scenarios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path, help="instance folder to write")
    parser.add_argument("--regions", type=int, required=True, help="number of regions R")
    parser.add_argument("--facilities-per-region", type=int, required=True,
                        help="facilities per region F")
    parser.add_argument("--years", type=int, required=True, help="model years Y (from 2025)")
    parser.add_argument("--commodities", type=int, required=True,
                        help="commodities C in the linear chain (c0 raw .. c{C-1} final)")
    parser.add_argument("--scenarios", type=int, default=1,
                        help="scenarios S: `base` plus S - 1 country disruptions (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--domestic", type=int, default=None,
                        help="domestic regions among R (default: max(1, R // 5))")
    args = parser.parse_args(argv)
    try:
        counts = generate(args.out_dir, args.regions, args.facilities_per_region, args.years,
                          args.commodities, args.scenarios, args.seed, args.domestic)
    except ValueError as error:
        parser.error(str(error))
    print(f"{args.out_dir}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
