"""Mass balance recomputed from the result tables, independently of the model's own rows."""

from __future__ import annotations

import pandas as pd

from planner.chain import Chain

KEY = ["scenario", "region", "commodity", "year"]


def collected(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """scenario, region, commodity, year, arrivals_t: the end-of-life tonnes that enter the
    balances (collected; all arrivals where no collection data holds)."""
    return tables["collection"][["scenario", "region", "commodity", "year", "collected_t"]
                                ].rename(columns={"collected_t": "arrivals_t"})


def product_options(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """What product options met, +t of the placed commodity, and -t of the accepted commodity
    that served (formulation/products.py)."""
    if "product_options" not in tables:
        return []
    met = tables["product_options"]
    served = met[met["kind"] == "serve"]
    return [met.assign(commodity=met["placed"]), served.assign(t=-served["t"])]


def stocks(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    """Stock drawn (+t) and put in (-t) (formulation/inventory.py)."""
    if "inventory" not in tables:
        return []
    inv = tables["inventory"]
    return [inv.assign(t=inv["drawn_t"] - inv["added_t"])]


def balance_residuals(tables: dict[str, pd.DataFrame], chain: Chain,
                      demand: pd.DataFrame) -> pd.DataFrame:
    """Per scenario, region, commodity, year: supply - use - demand (zero when balanced), in t.

    supply = process outputs + deliveries in + purchases + end-of-life products collected
    + shortfall + what product options met (of the placed commodity) + stock drawn;
    use = process inputs + shipments out + sales + disposal + accepted commodities served
    + stock put in.
    `demand` has region, commodity, year, scenario, demand_t (summed over products).
    """
    coef = pd.DataFrame([(p, c, a) for p, proc in chain.processes.items()
                         for c, a in proc.net().items()], columns=["process", "commodity", "net"])
    act = tables["activity"].merge(coef, on="process")
    flows = tables["flows"]
    arrivals = collected(tables)
    dem = demand
    parts = [
        act.assign(t=act["activity_t"] * act["net"]),
        flows.assign(region=flows["destination"], t=flows["delivered_t"]),
        flows.assign(region=flows["origin"], t=-flows["flow_t"]),
        tables["purchases"].assign(t=tables["purchases"]["bought_t"]),
        *([tables["sales"].assign(t=-tables["sales"]["sold_t"])] if "sales" in tables else []),
        arrivals.assign(t=arrivals["arrivals_t"]),
        tables["shortfall"].assign(t=tables["shortfall"]["shortfall_t"]),
        *product_options(tables),
        *stocks(tables),
        tables["disposal"].assign(t=-tables["disposal"]["disposed_t"]),
        dem.assign(t=-dem["demand_t"]),
    ]
    table = pd.concat([p[KEY + ["t"]] for p in parts], ignore_index=True)
    return table.groupby(KEY, as_index=False)["t"].sum().rename(columns={"t": "residual_t"})
