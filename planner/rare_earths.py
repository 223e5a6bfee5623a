"""Rare-earth content of commodities and the rare-earth balance of processes.

Each commodity of a value chain may state its content of contained rare-earth metal per group
(`rare_earths: {ndpr: 0.29, dytb: 0.025}`, t of element per t of commodity); none stated means
none contained. A process turns the rare earths of its inputs into those of its outputs, per
group g and per t of activity:

    in_g  = sum_{c in inputs}  a[p,c] re[c,g]        out_g = sum_{c in outputs} b[p,c] re[c,g]

and may lose at most its stated `rare_earth_loss` (share of in_g) of each group; it may never
create rare earths (out_g > in_g).
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("ndpr", "dytb")  # NdPr metal; Dy/Tb metal
TOLERANCE = 0.005          # share of in_g: 0.5 percentage points of slack on the stated loss
BASES = ("rare_earth", "mass")
RARE_EARTH_UNIT = "t of rare earths"  # the unit of a share policy's row on the rare-earth basis


def re_content(chain, commodity: str) -> float:
    """t of contained rare-earth metal (all groups) per t of `commodity`."""
    return float(sum(chain.commodities[commodity].rare_earths.values()))


def has_rare_earths(chain) -> bool:
    """Whether any commodity of the chain states rare-earth content."""
    return any(c.rare_earths for c in chain.commodities.values())


def effective_basis(basis: str, chain) -> str:
    """The basis shares are counted on: `rare_earth` only where the chain states rare-earth
    content (a chain without any counts by mass)."""
    return "rare_earth" if basis == "rare_earth" and has_rare_earths(chain) else "mass"


def weights(chain, basis: str) -> dict[str, float]:
    """commodity -> weight of one t of it in a share: its rare-earth content (t/t) on the
    rare-earth basis, 1 on the mass basis."""
    if effective_basis(basis, chain) == "mass":
        return {c: 1.0 for c in chain.commodities}
    return {c: re_content(chain, c) for c in chain.commodities}


def recycled_output_re(chain, process) -> float:
    """t of rare earths per t of activity that a reverse-loop process credits as recycled: the
    rare earths of its first output and of any other output that no reverse-loop process takes
    in (by-product scrap that goes round again is not counted twice)."""
    fed_back = {c for p in chain.processes.values() if p.loop != "primary" for c in p.inputs}
    first = next(iter(process.outputs), None)
    return sum(b * re_content(chain, c) for c, b in process.outputs.items()
               if c == first or c not in fed_back)


@dataclass(frozen=True)
class Imbalance:
    """A process whose outputs hold more of a group than its inputs, or lose more than stated.
    Tonnes are per t of activity."""

    process: str
    group: str
    in_t: float
    out_t: float
    stated_loss: float

    @property
    def loss(self) -> float:
        return 1.0 - self.out_t / self.in_t

    def message(self) -> str:
        if self.out_t > self.in_t:
            what = f"creates {self.group} rare earths"
        else:
            what = f"loses {self.loss:.1%} of its {self.group} rare earths"
        return (f"process {self.process!r} {what}: {self.in_t:.4g} t in, {self.out_t:.4g} t out "
                f"per t of activity (stated rare_earth_loss {self.stated_loss:g})")


def group_balance(chain, process) -> dict[str, tuple[float, float]]:
    """group -> (t in, t out) of contained rare earths per t of activity of `process`."""
    def held(side: dict[str, float], g: str) -> float:
        return sum(t * chain.commodities[c].rare_earths.get(g, 0.0) for c, t in side.items()
                   if c in chain.commodities)
    return {g: (held(process.inputs, g), held(process.outputs, g)) for g in GROUPS}


def imbalances(chain) -> list[Imbalance]:
    """Every (process, group) that creates rare earths or loses more than its stated loss (beyond
    TOLERANCE). Sources (no inputs) and processes whose inputs hold no rare earths are skipped."""
    found = []
    for name, process in chain.processes.items():
        balance = group_balance(chain, process)
        if not process.inputs or not any(t_in > 0 for t_in, _ in balance.values()):
            continue
        for g, (t_in, t_out) in balance.items():
            if t_in <= 0:
                if t_out > 0:
                    found.append(Imbalance(name, g, t_in, t_out, process.rare_earth_loss))
                continue
            loss = 1.0 - t_out / t_in
            if loss < -TOLERANCE or loss > process.rare_earth_loss + TOLERANCE:
                found.append(Imbalance(name, g, t_in, t_out, process.rare_earth_loss))
    return found
