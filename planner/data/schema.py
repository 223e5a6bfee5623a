"""The instance tables: the single source of truth for files, columns, types, units and defaults.

The loader validates against these specs and `docs/instance-format.md` documents them.
Kinds: `name` (identifier), `text` (free text), `float`, `int`, `year` (a calendar year in
YEAR_RANGE), `bool`.
A column with `required=False` may be absent or empty; it then takes `default`
(`None` means "no limit" or "not set", as the column's doc says).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    doc: str
    required: bool = True
    default: Any = None
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Table:
    file: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


# Magnitudes beyond which the solver's numerics break down (HiGHS reads bounds of 1e20 as
# infinite): tonnages (columns named *_t, not *_per_t) are refused above MAX_TONNES (a thousand
# times the world's yearly rare-earth output), every other number above MAX_MAGNITUDE; years
# outside YEAR_RANGE are refused, and horizons longer than MAX_MODEL_YEARS model years.
MAX_TONNES = 1e9
MAX_MAGNITUDE = 1e12
YEAR_RANGE = (1900, 2200)
MAX_MODEL_YEARS = 100


def _c(name, kind, doc, required=True, default=None, min=None, max=None) -> Column:  # noqa: A002
    if kind == "float" and name.endswith("_t") and not name.endswith("_per_t") and max is None:
        max = MAX_TONNES  # noqa: A001
    return Column(name, kind, doc, required, default, min, max)


REGIONS = Table(
    "regions.csv",
    "Places: countries, or sites inside one.",
    (
        _c("region", "name", "region id"),
        _c("country", "name", "ISO 3166 alpha-2 country code"),
        _c("domestic", "bool", "true for the planning country's own regions"),
        _c("risk", "float", "supply-risk score of the region's country, 0 (none) to 1",
           min=0, max=1),
        _c("grid_kgco2e_per_kwh", "float", "grid electricity intensity, kg CO2e/kWh", min=0),
        _c("responsibility", "float", "responsible-sourcing score of what is bought in the "
           "region, 0 (worst) to 1 (best: governance, environmental and labour standards); "
           "default 1 (no deficit counted)", False, 1.0, min=0, max=1),
        _c("description", "text", "free text", required=False, default=""),
    ),
    key=("region",),
)

FACILITIES = Table(
    "facilities.csv",
    "Plants: a process at a region, with existing capacity and/or candidate modules.",
    (
        _c("facility", "name", "facility id"),
        _c("process", "name", "process id from the value-chain model"),
        _c("region", "name", "region id"),
        _c("existing_t", "float", "existing capacity, t/yr of activity", False, 0.0, min=0),
        _c("module_t", "float", "capacity of one candidate module, t/yr of activity", False, 0.0,
           min=0),
        _c("max_modules", "int", "most modules that may be built over the horizon", False, 0,
           min=0),
        _c("capex_per_module", "float", "overnight capital cost of one module, currency", False,
           0.0, min=0),
        _c("fixed_cost_per_t", "float", "fixed O&M per t/yr of capacity per year, currency", False,
           0.0, min=0),
        _c("variable_cost_per_t", "float", "variable cost per t of activity, currency", False, 0.0,
           min=0),
        _c("lead_years", "int", "years from build decision to first operation", False, 0, min=0),
        _c("earliest_year", "year", "first year a build may be decided (default: first model year)",
           False, None),
        _c("life_years", "int", "economic life of a module, years (required for candidates)", False,
           None, min=1),
        _c("existing_from", "year", "first year existing capacity operates (default: first year)",
           False, None),
        _c("existing_until", "year", "last year existing capacity operates (default: never)",
           False, None),
        _c("availability", "float", "share of capacity usable each year", False, 1.0, min=0, max=1),
        _c("description", "text", "free text", False, ""),
    ),
    key=("facility",),
)

LINKS = Table(
    "links.csv",
    "Directed transport links for one commodity; id `origin>destination:commodity`.",
    (
        _c("origin", "name", "region id the link leaves"),
        _c("destination", "name", "region id the link reaches"),
        _c("commodity", "name", "commodity id from the value-chain model"),
        _c("cost_per_t", "float", "transport cost per t shipped, currency", False, 0.0, min=0),
        _c("kgco2e_per_t", "float", "transport emissions per t shipped, kg CO2e", False, 0.0,
           min=0),
        _c("max_t", "float", "most t/yr shipped (empty: unlimited)", False, None, min=0),
        _c("loss", "float", "share of shipped tonnes lost on the way", False, 0.0, min=0,
           max=0.999),
        _c("tariff_per_t", "float", "tariff or duty per t shipped, currency", False, 0.0, min=0),
        _c("distance_km", "float", "route length, km (informative)", False, None, min=0),
        _c("mode", "text", "sea, road, rail, air (informative)", False, ""),
    ),
    key=("origin", "destination", "commodity"),
)

OFFERS = Table(
    "offers.csv",
    "Market offers: a commodity for sale at a region (or, side `sell`, wanted there), at a "
    "price, up to a quantity.",
    (
        _c("offer", "name", "offer id"),
        _c("region", "name", "region id where the tonnes are delivered (bought or sold)"),
        _c("commodity", "name", "commodity id from the value-chain model"),
        _c("price_per_t", "float", "price per t bought (side buy) or earned (side sell), currency",
           min=0),
        _c("max_t", "float", "most t/yr that can be bought or sold (empty: unlimited)", False,
           None, min=0),
        _c("kgco2e_per_t", "float", "cradle-to-gate emissions per t bought, kg CO2e (0 for a "
           "sell offer)", False, 0.0, min=0),
        _c("first_year", "year", "first year on offer (default: first model year)", False, None),
        _c("last_year", "year", "last year on offer (default: last model year)", False, None),
        _c("side", "name", "buy (the plan buys the tonnes) or sell (the plan sells them: they "
           "leave the region's balance and earn the price)", False, "buy"),
        _c("responsibility", "float", "responsible-sourcing score of this offer, 0 to 1, where "
           "it departs from its region's (e.g. a certified mine; empty: the region's)", False,
           None, min=0, max=1),
    ),
    key=("offer",),
    required=False,
)
OFFER_SIDES = ("buy", "sell")  # offers.csv `side`: the plan buys, or sells to the offer

DEMAND = Table(
    "demand.csv",
    "Demand to be met (or reported unmet) per region, commodity and year.",
    (
        _c("region", "name", "region id"),
        _c("commodity", "name", "commodity id from the value-chain model"),
        _c("year", "year", "model year"),
        _c("demand_t", "float", "demand, t/yr", min=0),
        _c("product", "name", "product (segment) this demand enters use in; its inflow", False, ""),
    ),
    key=("region", "commodity", "year", "product"),
)

PRODUCT_INFLOWS = Table(
    "product_inflows.csv",
    "Inflows into use that the plan does not supply: historic placements (before the first "
    "model year) and, in the horizon, magnets arriving inside imported products (cars, "
    "nacelles, devices). They enter the in-use stock and come back at end of life; what "
    "the plan must supply (what the region's makers buy) is demand.csv.",
    (
        _c("product", "name", "product id from the value-chain model"),
        _c("year", "year", "calendar year of entry into use (one row per calendar year, also "
           "with a year step > 1), at most the last calendar year of the horizon"),
        _c("placed_t", "float", "tonnes of the placed commodity entering use that year", min=0),
        _c("region", "name", "region where its end of life arrives (default: eol_region)", False,
           ""),
    ),
    key=("product", "year", "region"),
    required=False,
)

SCENARIOS = Table(
    "scenarios.csv",
    "Disruption scenarios, each a whole path over the horizon; probabilities sum to 1. "
    "Without this table there is one scenario, `base`, with probability 1. With `parent` "
    "and `known_from` they form a tree: a scenario is its parent's path until known_from, "
    "and decisions cannot tell them apart before then.",
    (
        _c("scenario", "name", "scenario id"),
        _c("probability", "float", "probability of the scenario (of its whole path)", min=0,
           max=1),
        _c("description", "text", "free text", False, ""),
        _c("parent", "name", "the scenario it branches from (empty: a root, known from the "
           "first year)", False, ""),
        _c("known_from", "year", "first year in which it can be told apart from its parent "
           "(required with a parent)", False, None),
    ),
    key=("scenario",),
    required=False,
)

SCENARIO_EFFECTS = Table(
    "scenario_effects.csv",
    "What a scenario changes: an attribute of a target multiplied over a year range. Effects "
    "on the same target, attribute and year multiply together.",
    (
        _c("scenario", "text", "scenario id from scenarios.csv, or * for every scenario"),
        _c("target", "text", "an offer, link (origin>destination:commodity), facility or "
           "region id; `country:CN` for everything of a country; `*` for everything"),
        _c("attribute", "name", "max_t or price_per_t (offers); max_t, cost_per_t or "
           "tariff_per_t (links); availability or variable_cost_per_t (facilities); demand_t "
           "(regions); max_t (export caps)"),
        _c("from_year", "year", "first year affected (default: first model year)", False, None),
        _c("to_year", "year", "last year affected (default: last model year)", False, None),
        _c("multiply", "float", "factor applied to the attribute", min=0),
    ),
    key=("scenario", "target", "attribute", "from_year", "to_year"),
    required=False,
)

GRID = Table(
    "grid.csv",
    "Grid electricity intensity by year, interpolated linearly between the years given and "
    "held constant before the first and after the last; overrides regions.csv for the region.",
    (
        _c("region", "name", "region id"),
        _c("year", "year", "calendar year"),
        _c("kgco2e_per_kwh", "float", "grid intensity that year, kg CO2e/kWh", min=0),
    ),
    key=("region", "year"),
    required=False,
)

POLICY_NAMES = ("min_recycled_share", "min_domestic_share", "max_country_share",
                "emissions_cap_t", "carbon_price_per_t", "min_stock_days")

POLICIES = Table(
    "policies.csv",
    "Policies, each holding from its year until a later row of the same policy and region: "
    + ", ".join(POLICY_NAMES) + " (see docs/formulation.md).",
    (
        _c("policy", "name", "one of " + ", ".join(POLICY_NAMES)),
        _c("region", "name", "region it applies to (empty: all domestic regions for shares, "
           "all regions for emissions)", False, ""),
        _c("from_year", "year", "first year it applies"),
        _c("value", "float", "share (0..1), t CO2e per year, currency per t CO2e, or days of "
           "demand held in stock", min=0),
    ),
    key=("policy", "region", "from_year"),
    required=False,
)

COLLECTION = Table(
    "collection.csv",
    "Collection of end-of-life products: per product and region, the share of its end-of-life "
    "arrivals that leaks away (tier `leakage`: used products exported, lost before any "
    "collection point) and the largest share each collection tier can collect at its cost "
    "per t (tiers are "
    "piecewise-linear: the easy share cheap, the rest dearer). What is neither leaked nor "
    "collected is disposed of at the end-of-life commodity's disposal cost and emissions. A "
    "row holds from its year until a later row of the same product, region and tier; a "
    "product without rows in force is collected whole, at no cost (see docs/formulation.md).",
    (
        _c("product", "name", "product id from the value-chain model"),
        _c("region", "name", "region where its end of life arrives (empty: every region)",
           False, ""),
        _c("from_year", "year", "first year the row holds"),
        _c("tier", "name", "`leakage`, or the name of a collection tier"),
        _c("share", "float", "share of the year's end-of-life arrivals that leaks (leakage) or "
           "that the tier can collect at most", min=0, max=1),
        _c("cost_per_t", "float", "collection cost per t collected in the tier, currency",
           False, 0.0, min=0),
    ),
    key=("product", "region", "from_year", "tier"),
    required=False,
)

OPTION_KINDS = ("life_extension", "substitution")

PRODUCT_OPTIONS = Table(
    "product_options.csv",
    "Options that meet a product's demand without new magnets: life extension (repair, "
    "refurbishment, maintenance keeps retiring products in use `years_added` longer, up to "
    "`max_share` of the year's retiring products) and substitution (a magnet-free design, up "
    "to `max_share` of the product's demand). A row holds from its year until a later row of "
    "the same option, product and region (see docs/formulation.md).",
    (
        _c("option", "name", "option id"),
        _c("product", "name", "product id from the value-chain model"),
        _c("kind", "name", "one of " + ", ".join(OPTION_KINDS)),
        _c("region", "name", "region where the product is placed (empty: every region)",
           False, ""),
        _c("from_year", "year", "first year the row holds"),
        _c("max_share", "float", "largest share of the year's retiring products "
           "(life_extension) or of the product's demand (substitution)", min=0, max=1),
        _c("cost_per_t", "float", "cost per t of magnet kept in use or substituted, currency",
           min=0),
        _c("years_added", "int", "years of use a life extension adds (life_extension only)",
           False, 0, min=0, max=50),
        _c("description", "text", "free text", False, ""),
    ),
    key=("option", "product", "region", "from_year"),
    required=False,
)

STORAGE = Table(
    "storage.csv",
    "Stockpiles and inventories: storage of one commodity in one region, with capacity in "
    "place and capacity that can be built, stock carried from year to year (losing "
    "`loss_share` a year), filled and drawn through the region's balance. Stock decisions "
    "follow the scenario tree: nothing is stockpiled on foreknowledge (see "
    "docs/formulation.md).",
    (
        _c("storage", "name", "storage id"),
        _c("region", "name", "region id"),
        _c("commodity", "name", "commodity id from the value-chain model"),
        _c("existing_t", "float", "capacity in place, t", False, 0.0, min=0),
        _c("initial_t", "float", "stock at the start of the first model year, t (at most "
           "existing_t)", False, 0.0, min=0),
        _c("max_build_t", "float", "most capacity that can be built over the horizon, t", False,
           0.0, min=0),
        _c("capex_per_t", "float", "capital cost per t of capacity built, currency (charged "
           "once, in the build year)", False, 0.0, min=0),
        _c("holding_cost_per_t", "float", "cost of holding one t for a year (warehousing, "
           "insurance, working capital), currency", False, 0.0, min=0),
        _c("loss_share", "float", "share of the stock lost each year", False, 0.0, min=0,
           max=1),
        _c("earliest_year", "year", "first year capacity may be built (default: first model "
           "year)", False, None),
        _c("lead_years", "int", "years from a build decision to usable capacity", False, 0,
           min=0, max=20),
        _c("description", "text", "free text", False, ""),
    ),
    key=("storage",),
    required=False,
)

EXPORT_CAPS = Table(
    "export_caps.csv",
    "One budget for a group of offers and links per year (e.g. everything leaving China, "
    "across oxide, metal, alloy and magnets), counted on the share basis (rare-earth content "
    "by default, instance.yaml share_basis). Each row adds members to a cap; scenario effects "
    "on the cap's id (attribute max_t) scale its budget. Per-offer and per-link caps remain.",
    (
        _c("cap", "name", "cap id"),
        _c("member", "text", "an offer id (what is bought from it), a link id "
           "origin>destination:commodity (what it carries), or country:XX (every link "
           "leaving XX's regions for another country)"),
        _c("max_t", "float", "the group's budget per year, t of rare earths (or t, on the "
           "mass basis); the same on every row of the cap", min=0),
        _c("description", "text", "free text", False, ""),
    ),
    key=("cap", "member"),
    required=False,
)

TABLES: tuple[Table, ...] = (REGIONS, FACILITIES, LINKS, OFFERS, DEMAND, PRODUCT_INFLOWS,
                             SCENARIOS, SCENARIO_EFFECTS, GRID, POLICIES, COLLECTION,
                             PRODUCT_OPTIONS, STORAGE, EXPORT_CAPS)
