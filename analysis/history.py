"""An object's historic climate (EN 15757) and the band that suits both its history and
its materials (docs/passport.md).

EN 15757 [1]_ bases the climate an object should be kept in on the climate it has
become used to: the seasonal cycle of the last year (a 30-day centred moving average of
RH) with the short-term fluctuations between their 7th and 93rd percentiles, never
narrower than ±10 % RH (:func:`analysis.metrics.en15757_band`). The standard also says
the historic climate is to be kept only where it has not harmed the object; where it
has, the limits of the materials come first. So the suitable band is the historic band
cut to the range the object's materials tolerate; if the two do not overlap, the
materials' range is the answer and the conflict is reported.

The materials' range is the RH where none of the object's materials is above *watch*
in the risk model (below every metal's ``rh_risk_pct``; above every organic part's
``rh_too_dry_pct``), from the sources in :mod:`analysis.materials` [2]_ [3]_.

References
----------
.. [1] EN 15757:2010. Conservation of cultural property — Specifications for temperature
   and relative humidity to limit climate-induced mechanical damage in organic hygroscopic
   materials. CEN, Brussels. §4–5 and Annex A (historic climate, seasonal cycle, 7th/93rd
   percentiles, ±10 % minimum).
.. [2] Watkinson, D. & Lewis, M. (2005). Desiccated storage of chloride-contaminated
   archaeological iron objects. *Studies in Conservation* 50(4), 241–252.
.. [3] Canadian Conservation Institute (2007). CCI Notes 9/2, *Storage of Metals*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.materials import profile
from analysis.metrics import (
    EN15757_MIN_DAYS,
    EN15757_MIN_HALF_WIDTH_PCT,
    LoanBands,
    en15757_window_readings,
)

#: The year of history the band is taken from (plus the 15 days each side the 30-day
#: centred moving average needs, as EN 15757's 13 months).
HISTORY_DAYS = EN15757_MIN_DAYS
#: Fewer hours than this (ten days) give no band at all.
MIN_HOURS = 240


@dataclass(frozen=True)
class HistoricBand:
    """An object's historic RH band at the end of its history.

    ``complete`` is True when the history covers EN 15757's 13 months; otherwise the band
    is provisional (the same computation over the history there is)."""

    start: pd.Timestamp
    end: pd.Timestamp
    hours: int
    complete: bool
    #: The 30-day moving average at the end of the history, % RH.
    seasonal_now_pct: float
    #: Lowest and highest 30-day moving average over the history, % RH.
    seasonal_min_pct: float
    seasonal_max_pct: float
    lower_offset_pct: float
    upper_offset_pct: float

    @property
    def lower_pct(self) -> float:
        return self.seasonal_now_pct + self.lower_offset_pct

    @property
    def upper_pct(self) -> float:
        return self.seasonal_now_pct + self.upper_offset_pct


def historic_band(rh_pct: pd.Series) -> HistoricBand | None:
    """EN 15757 band of the last 13 months of an hourly (UTC-indexed) RH series [1]_;
    None with less than :data:`MIN_HOURS` hours, or readings too sparse for any 30-day
    moving average.

    Seasonal cycle: 30-day centred moving average (two thirds of its window holding
    readings at the record's interval, :func:`analysis.metrics.en15757_window_readings`,
    or a third of a shorter history); fluctuations: RH minus that; offsets: their 7th and
    93rd percentiles, widened to at least ±10 % RH.
    """
    hourly = rh_pct.astype(float).dropna().sort_index()
    if hourly.empty:
        return None
    hourly = hourly[hourly.index >= hourly.index[-1] - pd.Timedelta(days=HISTORY_DAYS)]
    hourly = hourly.resample("1h").mean().dropna()
    if len(hourly) < MIN_HOURS:
        return None
    needed = min(en15757_window_readings(pd.DatetimeIndex(hourly.index)), len(hourly) // 3)
    seasonal = hourly.rolling("30D", center=True, min_periods=needed).mean()
    fluctuation = (hourly - seasonal).dropna()
    if fluctuation.empty:
        return None
    p7 = float(np.percentile(fluctuation, 7))
    p93 = float(np.percentile(fluctuation, 93))
    span = hourly.index[-1] - hourly.index[0]
    return HistoricBand(
        start=hourly.index[0],
        end=hourly.index[-1],
        hours=len(hourly),
        complete=span >= pd.Timedelta(days=EN15757_MIN_DAYS),
        seasonal_now_pct=float(seasonal.dropna().iloc[-1]),
        seasonal_min_pct=float(seasonal.min()),
        seasonal_max_pct=float(seasonal.max()),
        lower_offset_pct=min(p7, -EN15757_MIN_HALF_WIDTH_PCT),
        upper_offset_pct=max(p93, EN15757_MIN_HALF_WIDTH_PCT),
    )


@dataclass(frozen=True)
class SuitableBand:
    """The RH range that suits an object: its history within its materials' range."""

    lower_pct: float
    upper_pct: float
    materials_lower_pct: float
    materials_upper_pct: float
    #: "history" (the historic band, cut to the materials' range), "materials" (no usable
    #: history) or "conflict" (the history lies outside what the materials tolerate).
    basis: str


def materials_range(materials: Sequence[str]) -> tuple[float, float]:
    """RH range (% RH) where none of the materials is above *watch* [2]_ [3]_: below every
    material's ``rh_risk_pct``, above every organic part's ``rh_too_dry_pct``."""
    profiles = [profile(name) for name in materials]
    if not profiles:
        return 0.0, 100.0
    upper = min(p.rh_risk_pct for p in profiles)
    lower = max([p.rh_too_dry_pct for p in profiles if p.rh_too_dry_pct is not None] or [0.0])
    return lower, upper


def suitable_band(band: HistoricBand | None, materials: Sequence[str]) -> SuitableBand:
    """The historic band [1]_ cut to the materials' range; the materials' range alone when
    there is no band or the two do not overlap."""
    low, high = materials_range(materials)
    if band is None:
        return SuitableBand(low, high, low, high, "materials")
    lower, upper = max(band.lower_pct, low), min(band.upper_pct, high)
    if lower >= upper:
        return SuitableBand(low, high, low, high, "conflict")
    return SuitableBand(lower, upper, low, high, "history")


def loan_bands(band: SuitableBand) -> LoanBands:
    """A suitable band as the RH bands of a loan agreement (target ± tolerance)."""
    return LoanBands(
        rh_target_pct=(band.lower_pct + band.upper_pct) / 2,
        rh_tolerance_pct=(band.upper_pct - band.lower_pct) / 2,
    )
