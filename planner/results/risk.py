"""Supply-risk measures of a solution (computed for every run, optimised or not).

- exposure: imported tonnes weighted by the origin region's risk score (the `risk` objective);
- expected shortfall: sum_s pi_s L_s with L_s = sum_t w_t short[.,t,s] (t unmet in scenario s);
- CVaR_alpha of the shortfall over scenarios (Rockafellar-Uryasev):
  min_eta eta + 1/(1 - alpha) sum_s pi_s max(L_s - eta, 0), the mean of the worst 1 - alpha tail;
- concentration: per scenario, year and stage, the tonnes imported from each origin country
  (links from a non-domestic region into a domestic one), their contained rare earths and the
  country's share of that stage's imports on the share basis (instance.yaml `share_basis`:
  rare-earth content by default, or mass); the largest tonnage and share from one country are
  reported.
A commodity's stage is the stage of the first process whose first output it is ("other" if none;
planner.chain.commodity_stages).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.chain import Chain, commodity_stages
from planner.data.network import is_import
from planner.rare_earths import effective_basis, re_content


def cvar(losses: np.ndarray, probabilities: np.ndarray, alpha: float) -> float:
    """CVaR_alpha of a discrete loss distribution; the minimising eta is one of the losses."""
    losses, probabilities = np.asarray(losses, float), np.asarray(probabilities, float)
    if alpha <= 0:
        return float(probabilities @ losses)
    values = [eta + probabilities @ np.maximum(losses - eta, 0.0) / (1.0 - alpha)
              for eta in losses]
    return float(min(values))


def concentration(flows: pd.DataFrame, regions: pd.DataFrame, chain: Chain,
                  basis: str = "rare_earth") -> pd.DataFrame:
    """scenario, year, stage, country, imported_t, imported_re_t (t of rare earths contained),
    share (of the stage's imports that year, on `basis`), basis."""
    reg = regions.set_index("region")
    imports = flows[is_import(flows["origin"], flows["destination"], reg["domestic"])]
    content = {c: re_content(chain, c) for c in chain.commodities}
    imports = imports.assign(country=reg["country"].loc[imports["origin"]].to_numpy(),
                             stage=imports["commodity"].map(commodity_stages(chain)),
                             imported_re_t=imports["flow_t"] * imports["commodity"].map(content))
    table = imports.groupby(["scenario", "year", "stage", "country"], as_index=False)[
        ["flow_t", "imported_re_t"]].sum().rename(columns={"flow_t": "imported_t"})
    basis = effective_basis(basis, chain)
    counted = "imported_re_t" if basis == "rare_earth" else "imported_t"
    total = table.groupby(["scenario", "year", "stage"])[counted].transform("sum")
    table["share"] = table[counted] / total.where(total > 0, 1.0)
    table["basis"] = basis
    return table


def risk_measures(tables: dict[str, pd.DataFrame], scenarios: pd.DataFrame, weight: pd.Series,
                  alpha: float, exposure: float, regions: pd.DataFrame, chain: Chain,
                  basis: str = "rare_earth") -> tuple[dict, pd.DataFrame]:
    """(summary values, the concentration table)."""
    short = tables["shortfall"]
    losses = (short["shortfall_t"] * weight.loc[short["year"]].to_numpy()).groupby(
        short["scenario"]).sum().reindex(scenarios["scenario"], fill_value=0.0).to_numpy()
    prob = scenarios["probability"].to_numpy()
    table = concentration(tables["flows"], regions, chain, basis)
    top = table.sort_values(["imported_t", "share"], ascending=False).head(1)
    measures = {
        "exposure": exposure,
        "expected_shortfall_t": float(prob @ losses),
        "cvar_alpha": alpha,
        "cvar_shortfall_t": cvar(losses, prob, alpha),
        "max_country_t": float(top["imported_t"].iloc[0]) if len(top) else 0.0,
        "max_country": top[["scenario", "year", "stage", "country"]].iloc[0].to_dict()
        if len(top) else None,
        "max_country_share": float(table["share"].max()) if len(table) else 0.0,
    }
    return measures, table
