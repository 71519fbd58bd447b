"""``partner_silent``: a partner museum whose collector's heartbeat is older than its
``silent_after`` (``[[partners]]``, docs/partners.md), one incident per partner, on the
museum's first case; resolves at its next heartbeat. This is how a partner's dead server,
cut power or cut link is noticed at the other museum.

The heartbeat's age is counted from the time the partner's collector wrote in it (its own
clock), so the retained heartbeat a restarted collector receives at once does not pass for
a fresh one; clocks kept by NTP differ by far less than a silence limit of minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

from collector.alerts.condition import Condition
from collector.alerts.rules.base import CaseView


@dataclass(frozen=True)
class PartnerSilent:
    name: str = "partner_silent"
    repeats: bool = True

    def evaluate(self, view: CaseView, now_s: float) -> list[Condition]:
        beats = view.partners
        if beats is None:
            return []
        conditions = []
        for partner in beats.partners:
            # Never heard since this collector started: silent from then on.
            last_s = beats.last_beat_s.get(partner.id, beats.watching_since_s)
            silent_s = max(0.0, now_s - last_s)
            conditions.append(
                Condition(
                    self.name,
                    active=silent_s > partner.silent_after_s,
                    clear=silent_s <= partner.silent_after_s,
                    value=silent_s / 60.0,
                    threshold=partner.silent_after_s / 60.0,
                    source="partners.silent_after",
                    subject=partner.id,
                    # Who, and since when: rendered in the reader's language (collector/notify.py).
                    detail=f"{partner.id}@{last_s:.0f}",
                )
            )
        return conditions
