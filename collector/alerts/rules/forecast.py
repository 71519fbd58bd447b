"""``forecast``: with ``[alerts] forecast_days`` set, every hour (``FORECAST_EVERY_S``) each
case is diagnosed against its room (:func:`museum.assessment.diagnose.diagnose_case`, from
the hourly means of the last two weeks the engine keeps), and a case forecast to pass its RH
limit within ``forecast_days`` opens one alert that says by when — the day it likely passes
by (the forecast's lower quartile: one chance in four sooner) beside the central estimate —
and what to check (the gel of a buffered case, the seals and door otherwise).

Only a fit of good or fair quality and an actionable forecast (its 95 % interval within a
factor of three, :mod:`analysis.forecast`) opens it; it resolves once the forecast is beyond
``FORECAST_MARGIN`` × ``forecast_days`` (or no crossing at all), from an actionable forecast,
or from an uncertain one whose act-by day (lower quartile) is itself beyond that: after the
gel is reconditioned the case's forecast moves out and often widens (the fit does not cross
the step, :mod:`analysis.diagnostics`). While open, each actionable forecast re-estimates
the days and dates it reports. It neither repeats
nor escalates: it is notice weeks ahead, and ``rh_high`` takes over if the day comes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView

#: How often the forecast rule diagnoses each case (of the engine's clock: event time in
#: a replay). The estimators work on hourly means over two weeks, so hourly is plenty.
FORECAST_EVERY_S = 3600.0
#: A forecast alert resolves once the forecast is beyond this many times ``forecast_days``:
#: a forecast wandering around the threshold from one hour to the next does not flap.
FORECAST_MARGIN = 1.25
#: Fits trusted enough to open a forecast alert (analysis.diagnostics qualities).
FORECAST_QUALITIES = ("good", "fair")
#: Fewer hourly means than this (two days) and the fit would say insufficient_data anyway.
FORECAST_MIN_HOURS = 48


@dataclass(frozen=True)
class ForecastRule:
    name: str = "forecast"
    repeats: bool = False

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        diagnosis, forecast_days = view.diagnosis, view.alerts.forecast_days
        if diagnosis is None or forecast_days is None:
            return []
        fit, predicted = diagnosis.tightness, diagnosis.forecast
        if fit is None or diagnosis.quality not in FORECAST_QUALITIES:
            return []  # an unusable fit neither opens nor resolves
        days = predicted.days if predicted is not None else math.inf
        early = predicted.early_days if predicted is not None else math.inf
        beyond = FORECAST_MARGIN * forecast_days
        if predicted is not None and not predicted.actionable and early < beyond:
            return []  # uncertain (analysis.forecast): shown on the page, never raised
        # An uncertain forecast whose act-by day itself lies beyond the margin (a
        # reconditioned gel, say: three chances in four of not passing within it) resolves
        # an open alert; only an actionable one opens one.
        sure = predicted is None or predicted.actionable
        finite = math.isfinite(days)
        end_s = diagnosis.end.timestamp()
        return [
            Condition(
                self.name,
                active=bool(sure and days < forecast_days),
                clear=bool(days >= beyond),
                value=float(days) if finite else None,
                threshold=forecast_days,
                source="alerts.forecast_days",
                # What to check: the gel of a buffered case, the seals and door of a leaky one.
                detail="buffered" if fit.buffered else "unbuffered",
                # The day the case is expected to pass its limit: what the notification tells.
                due_s=end_s + days * 86_400.0 if finite else None,
                # The day by which it likely will (one chance in four sooner): the day to
                # act by, erring early.
                early_s=end_s + early * 86_400.0 if math.isfinite(early) else None,
            )
        ]
