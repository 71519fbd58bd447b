"""How long each reading of an irregular record stands for.

Loggers and sensors report at their own pace, skip readings and stop for days; a period
figure (hours of wetness, the share of time within a band, an accumulated mould factor)
weighs each reading by the time it stands for rather than counting readings. This module
holds that weighting, used by :mod:`analysis.metrics`, :mod:`analysis.mould` and
:mod:`analysis.risk` alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def reading_durations_h(index: pd.DatetimeIndex, max_gap: pd.Timedelta | None = None) -> np.ndarray:
    """How long each reading stands for, in hours: the time to the next reading (the last
    one takes the median step). Steps longer than ``max_gap`` (default: 3 × the median)
    are gaps and count as one median step, so missing data is never counted as wet or dry."""
    if len(index) == 0:
        return np.zeros(0)
    if len(index) == 1:
        return np.ones(1)
    steps = np.diff(index.as_unit("ns").asi8) / 3.6e12
    median = float(np.median(steps))
    limit = (max_gap / pd.Timedelta(hours=1)) if max_gap is not None else 3.0 * median
    steps = np.where(steps > limit, median, steps)
    return np.append(steps, median)
