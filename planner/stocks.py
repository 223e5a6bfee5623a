"""End-of-life arrivals from product inflows and lifetime distributions.

This module implements the *inflow-driven dynamic stock model* in the convention of
ODYM (S. Pauliuk, ``dynamic_stock_model.py``: ``DynamicStockModel.compute_sf``,
``compute_s_c_inflow_driven`` and ``compute_o_c_from_s_c``).

Time is discrete in whole years. Flows (inflows, outflows = end-of-life arrivals) are
in tonnes per year and happen *during* a year; stocks are in tonnes and measured at the
*end* of a year. With ``sf`` the survival function of the lifetime distribution,
evaluated at integer ages ``0, 1, 2, ...`` (years), and ``F = 1 - sf`` the lifetime CDF:

* stock by cohort:  ``s_c[t, tau] = inflow[tau] * sf(t - tau)``  for ``tau <= t``;
* stock:            ``stock[t] = sum_{tau <= t} inflow[tau] * (1 - F(t - tau))``;
* outflow:          ``arrivals[t] = sum_{tau <= t} inflow[tau] * (F(t - tau) - F(t - tau - 1))``
  with ``F(-1) = 0``.

Consequences of the convention (identical to ODYM):

* a fixed lifetime ``L`` keeps a cohort entirely in use for ages ``0 .. L-1`` and sends it
  out whole in year ``tau + L``;
* a normal lifetime already sends out ``inflow * F(0)`` in the year of entry (ODYM
  allocates the probability mass at negative ages to the year of entry, so mass is
  conserved: cumulative inflow = cumulative outflow + stock).

Survival functions (as in ODYM's ``compute_sf``):

* ``fixed``:   ``sf(age) = 1`` if ``age < mean`` else ``0``;
* ``normal``:  ``scipy.stats.norm.sf(age, loc=mean, scale=sd)``;
* ``weibull``: ``scipy.stats.weibull_min.sf(age, c=shape, loc=0, scale=scale)``.

ODYM special-cases degenerate parameters (fixed or normal mean 0, Weibull shape 0) as
"sf = 0", i.e. the whole cohort leaves in its year of entry. Here such parameters are
rejected instead (see :meth:`Lifetime.problems`): a product that never reaches a stock
is not a stock model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

__all__ = [
    "Lifetime",
    "cohort_outflow_matrix",
    "cohort_survival_matrix",
    "dynamic_stock",
]

Distribution = Literal["fixed", "normal", "weibull"]
_DISTRIBUTIONS: tuple[str, ...] = ("fixed", "normal", "weibull")


def _positive_number_problem(value: object, name: str, what: str, unit: str = "") -> str | None:
    """Return a problem message if ``value`` is not a finite number > 0, else None."""
    need = f"{what} needs '{name}' > 0" + (f" ({unit})" if unit else "")
    if value is None:
        return need
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return f"{need}; got {value!r}"
    if not math.isfinite(float(value)) or float(value) <= 0:
        return f"{need}; got {value!r}"
    return None


@dataclass(frozen=True)
class Lifetime:
    """Lifetime distribution of a product in use (all times in years).

    Attributes:
        distribution: ``"fixed"``, ``"normal"`` or ``"weibull"``.
        mean: Lifetime in years. For ``"fixed"`` the exact lifetime, a whole number of
            years >= 1; for ``"normal"`` the mean of the normal distribution (> 0).
        sd: Standard deviation of a ``"normal"`` lifetime, in years (> 0).
        shape: Weibull shape parameter ``k`` (dimensionless, > 0).
        scale: Weibull scale parameter ``lambda``, in years (> 0).

    Parameters not used by the chosen distribution are ignored. The object does not
    validate itself on construction; call :meth:`problems` to get a list of problems.
    Every computation (:meth:`survival` and the functions of this module) raises
    ``ValueError`` for an invalid lifetime.
    """

    distribution: Distribution
    mean: float | None = None
    sd: float | None = None
    shape: float | None = None
    scale: float | None = None

    def problems(self) -> list[str]:
        """Human-readable problems with the parameters; ``[]`` when the lifetime is valid."""
        dist = self.distribution
        if dist not in _DISTRIBUTIONS:
            return [
                f"unknown lifetime distribution {dist!r}; expected one of "
                + ", ".join(repr(d) for d in _DISTRIBUTIONS)
            ]
        if dist == "fixed":
            problem = _positive_number_problem(self.mean, "mean", "fixed lifetime", "years")
            if problem is None:
                years = float(self.mean)  # type: ignore[arg-type]  # checked just above
                if years < 1 or not years.is_integer():
                    problem = (
                        "fixed lifetime 'mean' must be a whole number of years >= 1; "
                        f"got {self.mean!r}"
                    )
            found = [problem]
        elif dist == "normal":
            found = [
                _positive_number_problem(self.mean, "mean", "normal lifetime", "years"),
                _positive_number_problem(self.sd, "sd", "normal lifetime", "years"),
            ]
        else:  # weibull
            found = [
                _positive_number_problem(self.shape, "shape", "Weibull lifetime"),
                _positive_number_problem(self.scale, "scale", "Weibull lifetime", "years"),
            ]
        return [p for p in found if p is not None]

    def check(self) -> None:
        """Raise ``ValueError`` listing the problems if the lifetime is invalid."""
        found = self.problems()
        if found:
            raise ValueError(f"invalid lifetime {self!r}: " + "; ".join(found))

    def survival(self, ages: np.ndarray) -> np.ndarray:
        """Survival function ``sf = 1 - F``: share of a cohort still in use at year end.

        Args:
            ages: Ages in whole years: ``sf(a)`` is the share of a cohort still in use at
                the end of the year ``a`` years after its year of entry (``a = 0`` is the
                entry year itself). Negative ages (before entry) have survival 1, i.e.
                ``F(-1) = 0``.

        Returns:
            Float array of the same shape as ``ages`` with values in ``[0, 1]``,
            non-increasing in age. Equals ODYM's ``compute_sf`` for ages >= 0.
        """
        self.check()
        a = np.asarray(ages, dtype=float)
        out = np.ones(a.shape, dtype=float)
        entered = a >= 0
        if self.distribution == "fixed":
            lifetime_years = float(self.mean)  # type: ignore[arg-type]  # validated by check()
            out[entered] = (a[entered] < lifetime_years).astype(float)
        elif self.distribution == "normal":
            out[entered] = stats.norm.sf(a[entered], loc=self.mean, scale=self.sd)
        else:
            out[entered] = stats.weibull_min.sf(a[entered], c=self.shape, loc=0, scale=self.scale)
        return out


def _age_matrix(n_years: int) -> np.ndarray:
    """``A[t, tau] = t - tau`` (years), for ``n_years`` consecutive years."""
    if isinstance(n_years, bool) or not isinstance(n_years, (int, np.integer)) or n_years < 0:
        raise ValueError(f"n_years must be an integer >= 0 (got {n_years!r})")
    idx = np.arange(n_years)
    return idx[:, None] - idx[None, :]


def cohort_survival_matrix(lifetime: Lifetime, n_years: int) -> np.ndarray:
    """Share of each cohort still in use at the end of each year.

    Args:
        lifetime: Lifetime distribution.
        n_years: Number of consecutive years.

    Returns:
        ``S`` with shape ``(n_years, n_years)``: ``S[t, tau]`` = share (dimensionless) of
        the cohort entering in year index ``tau`` still in stock at the end of year index
        ``t``; ``sf(t - tau)`` for ``t >= tau`` and 0 above the diagonal (ODYM's ``sf``).
    """
    ages = _age_matrix(n_years)
    sf = lifetime.survival(np.arange(n_years))
    return np.where(ages >= 0, sf[np.clip(ages, 0, None)], 0.0)


def cohort_outflow_matrix(lifetime: Lifetime, n_years: int) -> np.ndarray:
    """Share of each cohort leaving use in each year (the discrete lifetime pdf).

    Args:
        lifetime: Lifetime distribution.
        n_years: Number of consecutive years.

    Returns:
        ``M`` with shape ``(n_years, n_years)``, lower-triangular: ``M[t, tau]`` = share
        (dimensionless) of the cohort entering in year index ``tau`` that leaves use
        during year index ``t``, i.e. ``F(t - tau) - F(t - tau - 1)`` with ``F(-1) = 0``.
        The diagonal is ``F(0) = 1 - sf(0)`` (outflow in the year of entry). Column
        ``tau`` sums to ``F(n_years - 1 - tau)``: the rest is still in stock at the end.
    """
    ages = _age_matrix(n_years)
    sf = lifetime.survival(np.arange(-1, n_years))  # sf(-1) = 1
    pdf = sf[:-1] - sf[1:]  # pdf[a] = sf(a - 1) - sf(a) = F(a) - F(a - 1)
    return np.where(ages >= 0, pdf[np.clip(ages, 0, None)], 0.0)


def _check_inflows(inflows: np.ndarray) -> np.ndarray:
    arr = np.asarray(inflows, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"inflows must be one-dimensional (got shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError("inflows must be finite numbers (t/yr)")
    if np.any(arr < 0):
        raise ValueError("inflows must be >= 0 (t/yr)")
    return arr


def dynamic_stock(inflows: np.ndarray, lifetime: Lifetime) -> tuple[np.ndarray, np.ndarray]:
    """Inflow-driven dynamic stock model (ODYM convention).

    Args:
        inflows: Inflow into use in consecutive years, tonnes per year (>= 0, finite).
        lifetime: Lifetime distribution of the product.

    Returns:
        ``(outflows, stock)``, both arrays of the length of ``inflows``: ``outflows[t]``
        is the end-of-life outflow during year ``t`` (tonnes per year) and ``stock[t]``
        the stock in use at the end of year ``t`` (tonnes). Cohorts entering before the
        first year are not represented. Mass balance: ``cumsum(inflows) ==
        cumsum(outflows) + stock`` (up to rounding).
    """
    arr = _check_inflows(inflows)
    n = arr.shape[0]
    outflows = cohort_outflow_matrix(lifetime, n) @ arr
    stock = cohort_survival_matrix(lifetime, n) @ arr
    return outflows, stock
