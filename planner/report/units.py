"""How money and shares read in the terminal, the reports and the comparisons."""

from __future__ import annotations

import math


def money(value: float | None, currency: str) -> str:
    """`GBP 1.23 bn`, `GBP 915.7 m`, `GBP 15,400`; `n/a` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    size = abs(value)
    if size >= 1e9:
        return f"{currency} {value / 1e9:,.2f} bn"
    if size >= 1e6:
        return f"{currency} {value / 1e6:,.1f} m"
    return f"{currency} {value:,.0f}"


def percent(value: float | None, digits: int = 1) -> str:
    """A share 0..1 as `21.4 %`; `n/a` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.{digits}f} %"
