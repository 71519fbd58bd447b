"""``collector_health``: the monitoring system itself, on the first case of each site, one
incident per part:

``storage``
    Something keeps readings from InfluxDB (``writer_blocked:access_denied``, ``spool_full``…);
    notified at once, since notifications do not need InfluxDB.
``broker_dropped``
    The broker reports dropped messages.
``spool``
    The spool holds more than ``spool_alert_depth`` readings (InfluxDB unreachable or too
    slow) for longer than ``min_duration``; resolves at half that depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView


@dataclass(frozen=True)
class CollectorHealth:
    name: str = "collector_health"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        report = view.health
        if report is None:
            return []
        dropped, depth, depth_limit = report.broker_dropped, report.spool_depth, view.alerts.spool_alert_depth
        return [
            Condition(
                self.name,
                active=report.problem is not None,
                clear=report.problem is None,
                value=float(depth),
                threshold=0.0,
                source="patina status",
                subject="storage",
                detail=report.problem or "",
            ),
            Condition(
                self.name,
                active=bool(dropped),
                clear=not dropped,
                value=float(dropped or 0),
                threshold=0.0,
                source="$SYS/broker/publish/messages/dropped",
                subject="broker_dropped",
                detail="broker_dropped",
            ),
            Condition(
                self.name,
                active=depth > depth_limit,
                clear=depth <= depth_limit // 2,
                value=float(depth),
                threshold=float(depth_limit),
                source="alerts.spool_alert_depth",
                min_duration_s=view.alerts.min_duration_s,
                subject="spool",
                detail="spool_depth",
            ),
        ]
