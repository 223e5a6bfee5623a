"""Checks across tables and against the value-chain model: references, years, reachability."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chain import Chain
from planner.data.csvio import LINE
from planner.data.effects import effect_table, resolve_effects
from planner.data.instance import Settings
from planner.data.network import link_ids
from planner.data.schema import OFFER_SIDES, OPTION_KINDS, POLICY_NAMES
from planner.errors import Problem
from planner.suggest import one_of


def given(value) -> bool:
    """True for a value the user gave (not an empty cell)."""
    return value is not None and not pd.isna(value)




def check_references(tables: dict[str, pd.DataFrame], chain: Chain, settings: Settings,
                     files: dict[str, str]) -> list[Problem]:
    """Names that must exist elsewhere, years in the horizon, consistent candidate data."""
    problems: list[Problem] = []
    regions = (set(tables["regions"]["region"]) | tables["regions"].attrs.get("dropped_ids", set())
               if "regions" in tables else None)
    known = {"region": regions, "commodity": set(chain.commodities),
             "process": set(chain.processes), "product": set(chain.products)}
    years = set(range(settings.start, settings.end + 1, settings.step))
    domestic = (dict(zip(tables["regions"]["region"], tables["regions"]["domestic"]))
                if "regions" in tables else {})

    def bad(table, row, column, message, expected):
        problems.append(Problem(files[table], int(row[LINE]), column, message, expected))

    refs = {
        "facilities": [("process", "process"), ("region", "region")],
        "links": [("origin", "region"), ("destination", "region"), ("commodity", "commodity")],
        "offers": [("region", "region"), ("commodity", "commodity")],
        "demand": [("region", "region"), ("commodity", "commodity"), ("product", "product")],
        "inflows": [("product", "product"), ("region", "region")],
        "grid": [("region", "region")],
        "policies": [("region", "region")],
        "collection": [("product", "product"), ("region", "region")],
        "options": [("product", "product"), ("region", "region")],
        "storage": [("region", "region"), ("commodity", "commodity")],
    }
    for table, pairs in refs.items():
        frame = tables.get(table)
        if frame is None:
            continue
        for column, kind in pairs:
            if known[kind] is None:  # the table naming them could not be read: said already
                continue
            missing = ~frame[column].isin(known[kind]) & (frame[column] != "") & \
                frame[column].notna()
            for row in frame[missing].to_dict("records"):
                bad(table, row, column, f"unknown {kind} {row[column]!r}",
                    one_of(row[column], known[kind]))

    if (caps := tables.get("caps")) is not None and not caps.empty:
        links = tables["links"]
        ids = set(tables["offers"]["offer"]) | set(link_ids(
            links["origin"], links["destination"], links["commodity"]))
        countries = set(tables["regions"]["country"]) if "regions" in tables else set()
        budget = caps.groupby("cap")["max_t"].transform("first")
        for row, first in zip(caps.to_dict("records"), budget):
            member = str(row["member"])
            code = member.split(":", 1)[1] if member.startswith("country:") else None
            if (code is not None and code not in countries) or (code is None and
                                                                member not in ids):
                bad("caps", row, "member", f"unknown member {member!r}",
                    "an offer id, a link id origin>destination:commodity, or country:XX")
            if row["max_t"] != first:
                bad("caps", row, "max_t", f"cap {row['cap']!r} has budgets {first:g} and "
                    f"{row['max_t']:g}", "one max_t on every row of a cap")
    if (st := tables.get("storage")) is not None:
        for row in st.to_dict("records"):
            if row["initial_t"] > row["existing_t"]:
                bad("storage", row, "initial_t", f"initial stock {row['initial_t']:g} t above "
                    f"the capacity in place ({row['existing_t']:g} t)",
                    "initial_t <= existing_t")
            if given(row["earliest_year"]) and not (
                    settings.start <= row["earliest_year"] <= settings.end):
                bad("storage", row, "earliest_year",
                    f"year {row['earliest_year']} outside the horizon",
                    f"a year in {settings.start}..{settings.end}")
    if (f := tables.get("facilities")) is not None:
        for row in f.to_dict("records"):
            has_module, has_max = row["module_t"] > 0, row["max_modules"] > 0
            if has_module != has_max:
                bad("facilities", row, "max_modules" if has_module else "module_t",
                    "a candidate needs both module_t and max_modules",
                    "both > 0 for a candidate, or both 0")
            if has_module and has_max and not given(row["life_years"]):
                bad("facilities", row, "life_years", "missing life of a candidate facility",
                    "a whole number of years >= 1")
            if given(row["earliest_year"]) and not (
                    settings.start <= row["earliest_year"] <= settings.end):
                bad("facilities", row, "earliest_year",
                    f"year {row['earliest_year']} outside the horizon",
                    f"a year in {settings.start}..{settings.end}")
            if given(row["existing_from"]) and given(row["existing_until"]) and (
                    row["existing_until"] < row["existing_from"]):
                bad("facilities", row, "existing_until", "retires before it starts",
                    f"a year >= existing_from {row['existing_from']}")
    if (f := tables.get("links")) is not None:
        for row in f[f["origin"] == f["destination"]].to_dict("records"):
            bad("links", row, "destination", "link from a region to itself",
                "a destination other than the origin")
    if (f := tables.get("offers")) is not None:
        for row in f.to_dict("records"):
            for col in ("first_year", "last_year"):
                if given(row[col]) and not settings.start <= row[col] <= settings.end:
                    bad("offers", row, col, f"year {row[col]} outside the horizon",
                        f"a year in {settings.start}..{settings.end}")
            if given(row["first_year"]) and given(row["last_year"]) and (
                    row["last_year"] < row["first_year"]):
                bad("offers", row, "last_year", "last year before first year",
                    f"a year >= {row['first_year']}")
            if row["side"] not in OFFER_SIDES:
                bad("offers", row, "side", f"unknown side {row['side']!r}",
                    "one of " + ", ".join(OFFER_SIDES))
            elif row["side"] == "sell" and row["kgco2e_per_t"] > 0:
                bad("offers", row, "kgco2e_per_t", "emissions on a sell offer (what is sold "
                    "is made in the plan and counted there)", "0 or empty for side sell")
    if (f := tables.get("demand")) is not None:
        for row in f[~f["year"].isin(years)].to_dict("records"):
            bad("demand", row, "year", f"year {row['year']} is not a model year",
                f"a year in {settings.start}..{settings.end} step {settings.step}")
        for row in f[f["product"] != ""].to_dict("records"):
            product = chain.products.get(row["product"])
            if product and product.placed_commodity != row["commodity"]:
                bad("demand", row, "commodity",
                    f"product {row['product']!r} places {product.placed_commodity!r}, "
                    f"not {row['commodity']!r}", f"commodity {product.placed_commodity}")
    if (f := tables.get("policies")) is not None:
        for row in f.to_dict("records"):
            if row["policy"] not in POLICY_NAMES:
                bad("policies", row, "policy", f"unknown policy {row['policy']!r}",
                    "one of " + ", ".join(POLICY_NAMES))
            elif row["policy"].endswith("_share") and row["value"] > 1:
                bad("policies", row, "value", f"share {row['value']:g} above 1",
                    "a share in [0, 1]")
            if not settings.start <= row["from_year"] <= settings.end:
                bad("policies", row, "from_year", f"year {row['from_year']} outside the horizon",
                    f"a year in {settings.start}..{settings.end}")
            if (regions is not None and row["region"] in regions and
                    row["policy"].endswith("_share") and not domestic.get(row["region"], True)):
                bad("policies", row, "region", f"{row['region']!r} is not a domestic region",
                    "a domestic region, or empty for all of them")
    if (f := tables.get("inflows")) is not None:
        problems += check_inflow_years(f, settings, files["inflows"])
    return problems


def check_inflow_years(inflows: pd.DataFrame, settings: Settings, file: str) -> list[Problem]:
    """Inflows into use that the plan does not supply (historic placements and, in the
    horizon, products imported with magnets inside) are calendar years up to the last one the
    horizon covers (its last model year + step - 1): a later row would never arrive. With a
    step > 1 a row is one calendar year's inflow, not its model year's rate, so a product's
    rows in the horizon should leave no calendar year out between its first and last (a
    warning)."""
    last = max(range(settings.start, settings.end + 1, settings.step)) + settings.step - 1
    problems = [Problem(file, int(row[LINE]), "year", f"year {row['year']} is after the horizon",
                        f"a calendar year up to {last}, the last the horizon covers")
                for row in inflows[inflows["year"] > last].to_dict("records")]
    if settings.step == 1:
        return problems
    inside = inflows[(inflows["year"] >= settings.start) & (inflows["year"] <= last)]
    for _, rows in inside.groupby(["product", "region"], sort=False):
        years = set(rows["year"])
        missing = sorted(set(range(min(years), max(years) + 1)) - years)
        if missing:
            problems.append(Problem(
                file, int(rows[LINE].iloc[0]), "year",
                f"{rows['product'].iloc[0]!r} has no inflow in {_years(missing)}: with step "
                f"{settings.step} each row is one calendar year's inflow, not a model year's rate",
                "a row for every calendar year from its first to its last in the horizon",
                severity="warning"))
    return problems


def _years(years: list[int], limit=6) -> str:
    shown = ", ".join(str(y) for y in years[:limit])
    return shown + (f" and {len(years) - limit} more" if len(years) > limit else "")


def check_scenarios(tables: dict[str, pd.DataFrame], settings: Settings,
                    files: dict[str, str]) -> list[Problem]:
    """Probabilities sum to 1; effects name known scenarios, targets and attributes, in years
    of the horizon."""
    problems: list[Problem] = []
    scenarios = tables.get("scenarios")
    if scenarios is not None and not scenarios.empty:
        for row in scenarios[scenarios["probability"] <= 0].to_dict("records"):
            problems.append(Problem(files["scenarios"], int(row[LINE]), "probability",
                                    f"scenario {row['scenario']!r} has probability 0: it would "
                                    "carry no weight", "a probability > 0 (or drop the row)"))
        total = float(scenarios["probability"].sum())
        if abs(total - 1.0) > 1e-6:
            problems.append(Problem(files["scenarios"], int(scenarios[LINE].iloc[0]),
                                    "probability", f"probabilities sum to {total:g}",
                                    "probabilities that sum to 1"))
    effects = tables.get("effects")
    if effects is None or effects.empty:
        return problems
    known = set(scenarios["scenario"]) if scenarios is not None else set()
    if scenarios is None or scenarios.empty:
        known.add("base")
    for row in effects[~effects["scenario"].isin(known | {"*"})].to_dict("records"):
        problems.append(Problem(files["effects"], int(row[LINE]), "scenario",
                                f"unknown scenario {row['scenario']!r}",
                                one_of(row["scenario"], known) + " (from scenarios.csv)"))
    for row in effects.to_dict("records"):
        for col in ("from_year", "to_year"):
            if given(row[col]) and not settings.start <= row[col] <= settings.end:
                problems.append(Problem(files["effects"], int(row[LINE]), col,
                                        f"year {row[col]} outside the horizon",
                                        f"a year in {settings.start}..{settings.end}"))
        if given(row["from_year"]) and given(row["to_year"]) and row["to_year"] < row["from_year"]:
            problems.append(Problem(files["effects"], int(row[LINE]), "to_year",
                                    "to_year before from_year", f"a year >= {row['from_year']}"))
    resolved, found = resolve_effects(tables)
    for row, column, message, expected in found:
        problems.append(Problem(files["effects"], int(row[LINE]), column, message, expected))
    problems += _unlimited_scaled(tables, resolved, files)
    return problems


def check_tree(tables: dict[str, pd.DataFrame], settings: Settings,
               files: dict[str, str]) -> list[Problem]:
    """The scenario tree (planner.tree): parents are other known scenarios without cycles; a
    parent comes with known_from, a year of the horizon not before the parent's own; and a
    scenario's effects equal its parent's in every model year before known_from (nothing
    can be told apart before it is known)."""
    scenarios = tables.get("scenarios")
    if scenarios is None or scenarios.empty or "parent" not in scenarios:
        return []
    problems: list[Problem] = []
    file = files["scenarios"]
    parent = dict(zip(scenarios["scenario"], scenarios["parent"].fillna("").astype(str)))
    known = {s: (int(k) if given(k) else None)
             for s, k in zip(scenarios["scenario"], scenarios["known_from"])}
    line = dict(zip(scenarios["scenario"], scenarios[LINE]))
    for s, p in parent.items():
        where = int(line[s])
        if p and p not in parent:
            problems.append(Problem(file, where, "parent", f"unknown parent {p!r}",
                                    one_of(p, set(parent) - {s}) + " (or empty for a root)"))
        elif p and known[s] is None:
            problems.append(Problem(file, where, "known_from",
                                    f"scenario {s!r} branches from {p!r} but has no known_from",
                                    "the first year in which it can be told apart from its "
                                    "parent"))
        elif not p and known[s] is not None:
            problems.append(Problem(file, where, "parent",
                                    f"scenario {s!r} has known_from {known[s]} but no parent",
                                    "the scenario it branches from (a root is known from the "
                                    "first year)"))
        elif p and not settings.start <= known[s] <= settings.end:
            problems.append(Problem(file, where, "known_from", f"year {known[s]} outside the "
                                    "horizon", f"a year in {settings.start}..{settings.end}"))
    for s in parent:
        seen, n = [s], parent[s]
        while n in parent and parent[n] and n not in seen:
            seen.append(n)
            n = parent[n]
        if n in seen:
            problems.append(Problem(file, int(line[s]), "parent", "parents form a cycle: " +
                                    " > ".join(seen + [n]), "a tree: every chain of parents "
                                    "ends at a scenario without parent"))
    if problems:
        return problems
    for s, p in parent.items():
        if p and parent[p] and known[s] < known[p]:
            problems.append(Problem(file, int(line[s]), "known_from",
                                    f"{s!r} is known from {known[s]}, before its parent {p!r} "
                                    f"({known[p]})", f"a year from {known[p]}"))
    effects = tables.get("effects")
    if problems or effects is None or effects.empty:
        return problems
    years = np.arange(settings.start, settings.end + 1, settings.step)
    resolved = resolve_effects(tables)[0]
    table = effect_table(resolved, years)
    keys = ["kind", "attribute", "item", "year"]
    for s, p in parent.items():
        if not p:
            continue
        mine = table[(table["scenario"] == s) & (table["year"] < known[s])]
        theirs = table[(table["scenario"] == p) & (table["year"] < known[s])]
        both = mine.merge(theirs, on=keys, how="outer", suffixes=("", "_parent")).fillna(
            {"multiply": 1.0, "multiply_parent": 1.0})
        differ = both[~np.isclose(both["multiply"], both["multiply_parent"])]
        for (kind, item, attribute), group in differ.groupby(["kind", "item", "attribute"],
                                                               sort=False):
            first = group.iloc[0]
            rows = resolved[(resolved["scenario"] == s) & (resolved["item"] == item) &
                            (resolved["attribute"] == attribute)]
            where = (files["effects"], int(rows[LINE].iloc[0])) if len(rows) else (file,
                                                                                   int(line[s]))
            problems.append(Problem(
                where[0], where[1], "from_year",
                f"scenario {s!r} changes {attribute} of {kind} {item} in "
                f"{_years(sorted(group['year'].astype(int).tolist()))}, before it is known "
                f"({known[s]}): x{first['multiply']:g} against x{first['multiply_parent']:g} "
                f"in its parent {p!r}",
                f"effects of {s!r} from {known[s]} on (what its parent does before), or an "
                "earlier known_from"))
    return problems


def _unlimited_scaled(tables, resolved: pd.DataFrame, files) -> list[Problem]:
    """Warn where an effect scales max_t and every offer or link it reaches is unlimited: it
    then has no effect at all."""
    links = tables["links"]
    limits = {
        "offer": dict(zip(tables["offers"]["offer"], tables["offers"]["max_t"])),
        "link": dict(zip(link_ids(links["origin"], links["destination"], links["commodity"]),
                         links["max_t"])),
    }
    scaled = resolved[(resolved["attribute"] == "max_t") & (resolved["multiply"] != 1)]
    problems = []
    for line, group in scaled.groupby("_line"):
        unlimited = [i for k, i in zip(group["kind"], group["item"])
                     if k in limits and not given(limits[k][i])]
        if len(unlimited) == len(group):
            shown = ", ".join(unlimited[:4]) + (", ..." if len(unlimited) > 4 else "")
            problems.append(Problem(
                files["effects"], int(line), "attribute",
                f"scales max_t of unlimited items only ({shown}): it has no effect",
                "a finite max_t on the offers or links it should cut", severity="warning"))
    return problems


def check_reachability(tables: dict[str, pd.DataFrame], chain: Chain, eol_region: str,
                       files: dict[str, str]) -> list[Problem]:
    """Facilities whose inputs can never be supplied (errors); demand no route reaches (warnings).

    Supply starts from buy offers, end-of-life arrivals and processes without inputs, and spreads
    through facilities whose inputs are all available and along links, until nothing changes.
    """
    have: set[tuple[str, str]] = set()
    if (offers := tables.get("offers")) is not None:
        bought = offers[offers["side"] != "sell"]  # a sell offer takes tonnes, supplies none
        have |= set(zip(bought["region"], bought["commodity"]))
    demand, inflows = tables["demand"], tables.get("inflows")
    for name, product in chain.products.items():
        regions = set(demand.loc[demand["product"] == name, "region"])
        if inflows is not None and (inflows["product"] == name).any():
            placed = inflows.loc[inflows["product"] == name, "region"]
            regions |= set(placed.replace("", eol_region))
        have |= {(r, product.eol_commodity) for r in regions}
    facilities, links = tables["facilities"], tables["links"]
    runs: set[str] = set()
    changed = True
    while changed:
        changed = False
        for f in facilities.itertuples():
            process = chain.processes[f.process]
            if f.facility not in runs and all((f.region, c) in have for c in process.inputs):
                runs.add(f.facility)
                have |= {(f.region, c) for c in process.outputs}
                changed = True
        for link in links.itertuples():
            if (link.origin, link.commodity) in have and (
                    link.destination, link.commodity) not in have:
                have.add((link.destination, link.commodity))
                changed = True
    problems = []
    for f in facilities[~facilities["facility"].isin(runs)].to_dict("records"):
        missing = [c for c in chain.processes[f["process"]].inputs if (f["region"], c) not in have]
        problems.append(Problem(
            files["facilities"], int(f[LINE]), "process",
            f"facility {f['facility']!r} can never run: nothing supplies "
            f"{', '.join(missing)} at {f['region']}",
            "an offer, link or facility that brings its inputs to its region"))
    for row in demand[demand["demand_t"] > 0].drop_duplicates(["region", "commodity"]).to_dict(
            "records"):
        if (row["region"], row["commodity"]) not in have:
            problems.append(Problem(
                files["demand"], int(row[LINE]), "commodity",
                f"no route supplies {row['commodity']} at {row['region']}: all of it will be unmet",
                "an offer, link or facility that can reach it", severity="warning"))
    return problems


def product_places(tables: dict[str, pd.DataFrame], eol_region: str) -> pd.DataFrame:
    """product, region: where each product's end of life arrives (its demand rows' regions and
    its historic inflows' regions)."""
    demand = tables["demand"][tables["demand"]["product"] != ""][["product", "region"]]
    inflows = tables["inflows"][["product", "region"]].replace({"region": {"": eol_region}})
    return pd.concat([demand, inflows]).drop_duplicates().reset_index(drop=True)


def check_collection(tables: dict[str, pd.DataFrame], settings: Settings, eol_region: str,
                     files: dict[str, str]) -> list[Problem]:
    """Rows in the horizon; per product, region and year the leakage and tier shares in force
    add up to at most 1."""
    from planner.data.collection import collection_in_force

    rows = tables["collection"]
    problems = [Problem(files["collection"], int(row[LINE]), "from_year",
                        f"year {row['from_year']} outside the horizon",
                        f"a year in {settings.start}..{settings.end}")
                for row in rows[(rows["from_year"] < settings.start) |
                                (rows["from_year"] > settings.end)].to_dict("records")]
    years = range(settings.start, settings.end + 1, settings.step)
    force = collection_in_force(rows, product_places(tables, eol_region), list(years))
    if force.empty:
        return problems
    totals = force.groupby(["product", "region", "year"], as_index=False).agg(
        share=("share", "sum"), line=("_line", "max"))
    for row in totals[totals["share"] > 1 + 1e-9].drop_duplicates(
            ["product", "region"]).to_dict("records"):
        problems.append(Problem(
            files["collection"], int(row["line"]), "share",
            f"leakage and collection tiers of {row['product']} at {row['region']} add up to "
            f"{row['share']:g} of its end of life in {row['year']}",
            "shares that add up to at most 1"))
    return problems


def check_product_options(tables: dict[str, pd.DataFrame], settings: Settings,
                          files: dict[str, str]) -> list[Problem]:
    """Known kinds, rows in the horizon, years_added > 0 for life extension, and one kind per
    option (an option id names one lever)."""
    rows = tables["options"]
    problems = []

    def bad(row, column, message, expected):
        problems.append(Problem(files["options"], int(row[LINE]), column, message, expected))

    for row in rows.to_dict("records"):
        if row["kind"] not in OPTION_KINDS:
            bad(row, "kind", f"unknown kind {row['kind']!r}", "one of " + ", ".join(OPTION_KINDS))
        elif row["kind"] == "life_extension" and not row["years_added"] > 0:
            bad(row, "years_added", "a life extension adds no years",
                "the years of use it adds (a whole number > 0)")
        if not settings.start <= row["from_year"] <= settings.end:
            bad(row, "from_year", f"year {row['from_year']} outside the horizon",
                f"a year in {settings.start}..{settings.end}")
    kinds = rows.groupby("option")["kind"].nunique()
    for row in rows[rows["option"].isin(kinds[kinds > 1].index)].drop_duplicates(
            "option").to_dict("records"):
        bad(row, "kind", f"option {row['option']!r} has more than one kind",
            "one kind per option")
    return problems
