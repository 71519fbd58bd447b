"""Reading and writing Patina's data in InfluxDB through the v1 HTTP API (the 2.x / Cloud
backend, :mod:`museum.storage.store_v2`, keeps this interface; :func:`museum.storage.stores.open_store`
picks the one the config names).

The v1 API (``/ping``, ``/write`` with line protocol, ``/query`` with InfluxQL) is what
InfluxDB 1.x serves natively and 2.x/3.x serve for compatibility, so it is the portable
default. Every query is built here (those that set up and read the hourly aggregates in
:mod:`museum.storage.hourly`) from fixed text and values quoted by :mod:`museum.storage.influxql`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import requests

from museum.description.secrets import redact_url
from museum.storage.calibration import calibrations_query, corrections_from
from museum.storage.hourly import (
    HOURLY_POLICY,
    HOURLY_TARGET,
    RAW_COUNT_HOURS,
    forever_policy_statement,
    hourly_query_statement,
    hourly_select,
    merge_hourly,
    raw_count_statement,
    raw_policy_statement,
    readings_grid,
    stale_hours,
    stale_spans,
    stored_readings_statement,
    untrusted_sensors,
)
from museum.storage.influxql import quote_identifier, quote_literal, time_literal
from museum.storage.light_hourly import light_hourly_query_statement
from museum.storage.lineprotocol import decode_text
from museum.storage.logs import LOGS_FOREVER_SINCE, META_TARGET, by_policy, copy_statement, log_sources
from museum.storage.schema import (
    ALERT_EVENTS,
    CLIMATE,
    COLLECTOR_STATS,
    RISK,
    AlertEvent,
    alert_event_line,
)

#: How far back the latest readings are looked for first (sensors report every few minutes).
RECENT = timedelta(hours=2)


def decode_text_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Text fields (notes, users, messages) as they were written: line protocol carries
    line breaks in an encoded form (museum.storage.lineprotocol.encode_text)."""
    for column in data.columns:
        if data[column].dtype == object or pd.api.types.is_string_dtype(data[column]):
            data[column] = data[column].map(decode_text)
    return data


class StoreError(RuntimeError):
    """InfluxDB answered, but refused the request; retrying the same request will not help."""


class StoreUnavailable(StoreError):
    """InfluxDB could not be reached or failed on its side; retrying later may work."""


class AccessDenied(StoreError):
    """InfluxDB refused our credentials or their rights (HTTP 401/403): an administrator
    must act; the same request may succeed once they have."""


class DatabaseMissing(StoreError):
    """The database (v1) or bucket (v2) does not exist."""


class PointsRefused(StoreError):
    """InfluxDB refused some of the points of a write as points (HTTP 400: a field type
    conflict, a time outside the retention policy, a malformed line)."""


def refusal(status: int, detail: str) -> StoreError:
    """The error type for an HTTP status InfluxDB answered with; the one place where its
    wording is read (1.x says "database not found" with a 404 on writes and a 200 on queries)."""
    if status in (401, 403):
        return AccessDenied(detail)
    if "database not found" in detail or status == 404:
        return DatabaseMissing(detail)
    if status == 400:
        return PointsRefused(detail)
    return StoreError(detail)


class InfluxConnection:
    """A client of one InfluxDB database over the v1 HTTP API: the transport, the writes
    (each point into its retention policy) and the policy kept for ever."""

    def __init__(
        self,
        url: str,
        database: str,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.timeout_s = timeout_s
        self._session = requests.Session()
        if username:
            self._session.auth = (username, password or "")

    def close(self) -> None:
        self._session.close()

    # --- transport -------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self._session.request(method, self.url + path, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as error:
            raise StoreUnavailable(f"InfluxDB at {redact_url(self.url)} is unreachable: {error}") from None
        if response.status_code >= 500:
            raise StoreUnavailable(
                f"InfluxDB at {redact_url(self.url)} failed: "
                f"HTTP {response.status_code} {response.text.strip()[:300]}"
            )
        if response.status_code >= 400:
            raise refusal(
                response.status_code,
                f"InfluxDB at {redact_url(self.url)} refused {path}: HTTP "
                f"{response.status_code} {response.text.strip()[:300]}",
            )
        return response

    def ping(self) -> bool:
        try:
            self._request("GET", "/ping")
        except StoreError:
            return False
        return True

    def create_database(self) -> None:
        """Create the database if missing (CREATE DATABASE is idempotent in InfluxDB 1.x)."""
        self.execute(f"CREATE DATABASE {quote_identifier(self.database)}")

    def write_lines(self, lines: Sequence[str], policy: str | None = None) -> None:
        """Write points (museum.storage.lineprotocol, ns) into ``policy``; without one, each
        into its measurement's (museum.storage.logs). ``patina_forever`` is made if missing:
        a command may record a move before any collector has set the database up."""
        for target, group in ({policy: list(lines)} if policy else by_policy(lines)).items():
            try:
                self._write_policy(group, target)
            except StoreError as error:  # 1.x: "retention policy not found"; 2.x: no bucket
                if target != HOURLY_POLICY or "not found" not in str(error):
                    raise
                try:
                    self.ensure_forever()
                except AccessDenied:
                    # A write-only user may not make the policy: the log goes where schema
                    # version 1 kept it (reads look there too), never held back; the upgrade
                    # an administrator's Patina runs copies it (museum.storage.versions).
                    self._write_policy(group, None)
                    continue
                self._write_policy(group, target)

    def _write_policy(self, lines: Sequence[str], policy: str | None) -> None:
        if not lines:
            return
        body = "\n".join(lines).encode("utf-8")
        params = {"db": self.database, "precision": "ns", **({"rp": policy} if policy else {})}
        self._request("POST", "/write", params=params, data=body)

    def copy_to_forever(self, measurement: str) -> int | None:
        """Copy every point of ``measurement`` from the default policy into ``patina_forever``
        (the upgrade to schema version 2); the number of points written."""
        series = self.execute(copy_statement(measurement))
        return int(series[0]["values"][0][1]) if series else 0

    def ensure_forever(self) -> None:
        """The database and its policy kept for ever, for logs outliving raw readings."""
        self.create_database()
        policies = {row[0]: row for row in self._rows("SHOW RETENTION POLICIES")}
        self._execute_if(forever_policy_statement(self.database, policies))

    def execute(self, statement: str) -> list[dict[str, Any]]:
        """Run InfluxQL and return the ``series`` of every statement, raising on errors."""
        response = self._request("POST", "/query", data={"q": statement, "db": self.database, "epoch": "ns"})
        series: list[dict[str, Any]] = []
        for result in response.json().get("results", []):
            if "error" in result:
                error = str(result["error"])
                if "authoriz" in error or "privilege" in error:
                    raise AccessDenied(f"InfluxDB query refused: {error}")
                if "database not found" in error:
                    raise DatabaseMissing(f"InfluxDB query failed: {error}")
                raise StoreError(f"InfluxDB query failed: {error}")
            series.extend(result.get("series", []))
        return series

    def frame(self, statement: str) -> pd.DataFrame:
        """Run a query and return one DataFrame: a ``time`` column (UTC), the columns of
        the query and one column per GROUP BY tag."""
        result = self.execute(statement)
        if not result:
            return pd.DataFrame()
        data = _one_frame(result)
        if "time" in data:
            data["time"] = pd.to_datetime(data["time"], unit="ns", utc=True)
        return data

    def _execute_if(self, statement: str | None) -> None:
        if statement is not None:
            self.execute(statement)

    def _rows(self, statement: str) -> list[list[Any]]:
        return [row for series in self.execute(statement) for row in series.get("values", [])]


class InfluxStore(InfluxConnection):
    """A client of one InfluxDB database over the v1 HTTP API: what Patina reads."""

    def calibration_log(self) -> pd.DataFrame:
        """Every calibration check and withdrawal (museum.storage.calibration); empty before the first."""
        try:
            return self.frame(calibrations_query())
        except StoreError as error:  # no database, or no policy kept for ever, yet
            if isinstance(error, DatabaseMissing) or "retention policy not found" in str(error):
                return pd.DataFrame()
            raise

    # --- the logs kept for ever (museum.storage.logs) ---------------------------------
    #: Set once the database is known to hold its logs in patina_forever only.
    _logs_migrated: bool = False

    def logs_migrated(self) -> bool:
        """Whether the database's logs are all in ``patina_forever`` (schema version 2 or
        later). Only a yes is remembered: an upgrade while this store is open turns a no
        into a yes, never the other way."""
        if not self._logs_migrated:
            try:
                rows = self._rows(f"SELECT last(schema_version) FROM {META_TARGET}")
            except StoreError:
                return False
            self._logs_migrated = bool(rows) and int(rows[0][1]) >= LOGS_FOREVER_SINCE
        return self._logs_migrated

    def log_frame(self, measurement: str, condition: str = "") -> pd.DataFrame:
        """``SELECT *`` of a log kept for ever (``condition``: `` WHERE …``): its points in
        ``patina_forever`` and, in a database not yet upgraded, in the default policy, a
        point found in both once. Columns as :meth:`frame`, in no particular row order."""
        frames = []
        sources = log_sources(measurement, self.logs_migrated())
        for source in sources:
            try:
                frames.append(self.frame(f"SELECT * FROM {source}{condition}"))
            except StoreError as error:
                # A missing patina_forever is a database no collector has set up yet; a
                # server without retention policies (InfluxDB 3) still has the default one.
                if isinstance(error, (DatabaseMissing, AccessDenied, StoreUnavailable)):
                    raise
                if "retention policy not found" not in str(error) and source == sources[-1]:
                    raise
        frames = [f for f in frames if not f.empty]
        if len(frames) <= 1:
            return frames[0] if frames else pd.DataFrame()
        return pd.concat(frames, ignore_index=True).drop_duplicates(ignore_index=True)

    def alert_events(
        self, alert_id: str | None = None, within: timedelta = timedelta(days=365)
    ) -> pd.DataFrame:
        """The alert log, oldest first: time, site, case_id, alert_id, rule, severity, state,
        rule_key, message, value, threshold, user, note."""
        where = f"WHERE time > now() - {int(within.total_seconds())}s"
        if alert_id is not None:
            where += f" AND alert_id = {quote_literal(alert_id)}"
        data = self.log_frame(ALERT_EVENTS, f" {where}")
        if data.empty:
            return data
        return decode_text_columns(data.sort_values("time", kind="stable", ignore_index=True))

    def alerts(self, within: timedelta = timedelta(days=365)) -> pd.DataFrame:
        """One row per alert: its latest event (its state), with ``opened`` (the time of its
        first event). Open alerts are those whose state is not ``resolved``."""
        events = self.alert_events(within=within)
        if events.empty:
            return events
        opened = events.groupby("alert_id")["time"].min().rename("opened")
        latest = events.groupby("alert_id").tail(1).set_index("alert_id")
        return latest.join(opened).reset_index().sort_values("opened", ascending=False, ignore_index=True)

    def acknowledge_alert(self, alert_id: str, user: str, note: str) -> None:
        """Append an ``acknowledged`` event (who, when, why) to an open alert's log."""
        events = self.alert_events(alert_id)
        if events.empty:
            raise StoreError(f"no alert {alert_id!r}")
        last = events.iloc[-1]
        if last["state"] == "resolved":
            raise StoreError(f"alert {alert_id!r} is already resolved")
        self.write_lines(
            [
                alert_event_line(
                    AlertEvent(
                        time.time_ns(),
                        site=last["site"],
                        case_id=last["case_id"],
                        alert_id=alert_id,
                        rule=last["rule"],
                        rule_key=last.get("rule_key") or last["rule"],
                        severity=last["severity"],
                        state="acknowledged",
                        user=user,
                        note=note,
                    )
                )
            ]
        )

    # --- climate ---------------------------------------------------------------------
    def latest_climate(
        self, within: timedelta = timedelta(days=400), expected: Sequence[str] = ()
    ) -> pd.DataFrame:
        """The last reading of every sensor: columns time, site, case_id, sensor_id,
        temperature_c, rh_pct, battery_pct. Sensors silent for longer than ``within`` are
        left out (it bounds the scan).

        The last two hours are searched first, for every sensor at once; only the
        ``expected`` sensors not heard in them are then looked for further back, one query
        for all of them. A year of one-minute readings makes a single 400-day scan take
        seconds (benchmarks/bench_dashboard.py); two hours take milliseconds.
        """
        columns = ["time", "site", "case_id", "sensor_id", "temperature_c", "rh_pct", "battery_pct"]
        recent = self._latest(f"time > now() - {int(min(within, RECENT).total_seconds())}s")
        missing = sorted(set(expected) - (set(recent["sensor_id"]) if not recent.empty else set()))
        older = pd.DataFrame(columns=columns)
        if missing and within > RECENT:
            sensors = " OR ".join(f"sensor_id = {quote_literal(sensor)}" for sensor in missing)
            older = self._latest(f"time > now() - {int(within.total_seconds())}s AND ({sensors})")
        frames = [frame.reindex(columns=columns) for frame in (recent, older) if not frame.empty]
        latest = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        return corrections_from(self.calibration_log()).apply(latest) if not latest.empty else latest

    def _latest(self, where: str) -> pd.DataFrame:
        return self.frame(
            f"SELECT temperature_c, rh_pct, battery_pct FROM {quote_identifier(CLIMATE)} "
            f"WHERE {where} GROUP BY site, case_id, sensor_id ORDER BY time DESC LIMIT 1"
        )

    # --- downsampling -------------------------------------------------------------------------
    def ensure_downsampling(self, raw_retention: timedelta | None = None) -> None:
        """Keep hourly aggregates of ``climate`` for ever, so that years stay fast to read.

        A continuous query (InfluxDB 1.x) writes the hourly mean, minimum, maximum and
        count of temperature and RH of every sensor into ``climate_hourly`` in the
        retention policy ``patina_forever``; it runs every hour over the last two days, so
        late readings (a spool emptied after an outage) are counted. With
        ``raw_retention``, the default retention policy drops raw readings older than that.
        Idempotent: run at every collector start. Older data: :meth:`backfill_hourly`.
        """
        policies = {row[0]: row for row in self._rows("SHOW RETENTION POLICIES")}
        self._execute_if(forever_policy_statement(self.database, policies))
        queries = {
            row[0]
            for series in self.execute("SHOW CONTINUOUS QUERIES")
            if series.get("name") == self.database
            for row in series.get("values", [])
        }
        self._execute_if(hourly_query_statement(self.database, queries))
        self._execute_if(light_hourly_query_statement(self.database, queries))  # docs/light.md
        self._execute_if(raw_policy_statement(self.database, policies, raw_retention))

    def shards(self) -> list[dict[str, Any]]:
        """Shards of this database, each as its SHOW SHARDS row by column name (id,
        retention_policy, start_time, end_time …; needs admin rights)."""
        return [
            dict(zip(series["columns"], row, strict=True))
            for series in self.execute("SHOW SHARDS")
            if series.get("name") == self.database
            for row in series.get("values", [])
        ]

    def shard_count(self) -> int:
        """Shards of this database (SHOW SHARDS; needs admin rights)."""
        return len(self.shards())

    def backfill_hourly(self, start: datetime, end: datetime, step: timedelta = timedelta(days=30)) -> None:
        """Compute the hourly aggregates of readings between ``start`` and ``end`` (data
        older than the continuous query's two days: imports, replays), a month at a time.
        Steps begin on whole hours: an hour split between two steps would be written twice,
        the second time with only its part of the readings."""
        moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        while moment < end:
            until = min(end, moment + step)
            self.execute(
                f"{hourly_select()} WHERE time >= {time_literal(moment)} "
                f"AND time < {time_literal(until)} GROUP BY time(1h), *"
            )
            moment = until

    def hourly_series(
        self, case_id: str, start: datetime, end: datetime, repair: bool = True, correct: bool = True
    ) -> pd.DataFrame:
        """Hourly mean, minimum and maximum of temperature and RH per sensor of a case, for
        the hours that overlap ``start``…``end``: columns time, sensor_id, temperature_c,
        rh_pct (means), temperature_c_min/max, rh_pct_min/max, readings (how many RH
        readings the hour holds).

        An hour comes from ``climate_hourly`` only when its aggregate counted every reading
        the raw data now holds for it: a cheap raw count per hour and sensor is compared
        with the aggregate's ``readings``. Hours aggregated before all their readings
        arrived (a backfilled day, a spool draining after an outage, a replay), hours never
        aggregated and the current hour come from the raw readings; with ``repair``, the
        late complete hours are aggregated again (:meth:`backfill_hourly`), so the next
        read finds them right. Where raw readings have expired, the aggregate stands.
        With ``correct``, calibrated as :meth:`climate_series` (each hour by its start's offset)."""
        where = f"WHERE case_id = {quote_literal(case_id)}"
        # Whole hours: the hour that holds ``start`` counts entirely, from both sources.
        start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        end = end.astimezone(UTC)
        now_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        complete_until = min(now_hour, end)
        stored = pd.DataFrame()
        if complete_until > start:
            try:
                stored = self.frame(
                    "SELECT temperature_c, rh_pct, temperature_c_min, temperature_c_max, rh_pct_min, "
                    f"rh_pct_max, readings FROM {HOURLY_TARGET} {where} AND time >= {time_literal(start)} "
                    f"AND time < {time_literal(complete_until)} GROUP BY sensor_id"
                )
            except StoreError as error:
                # A database no collector has set up yet has no aggregates: read the raw.
                if "retention policy not found" not in str(error):
                    raise
        counts = self.frame(
            f"SELECT count(rh_pct) AS readings FROM {quote_identifier(CLIMATE)} {where} "
            f"AND time >= {time_literal(start)} AND time < {time_literal(end)} "
            "GROUP BY time(1h), sensor_id fill(none)"
        )
        stale = stale_hours(stored, counts)
        fresh_parts = []
        for span_start, span_end in stale_spans(stale):
            fresh_parts.append(
                self.frame(
                    f"{hourly_select(into=False)} {where} AND time >= {time_literal(span_start)} "
                    f"AND time < {time_literal(min(span_end, end))} GROUP BY time(1h), sensor_id fill(none)"
                )
            )
            if repair and min(span_end, complete_until) > span_start and not stored.empty:
                # A read-only user cannot repair: the figures are right all the same, only slower.
                with contextlib.suppress(StoreError):
                    self.backfill_hourly(span_start, min(span_end, complete_until))
        merged = merge_hourly(stored, fresh_parts, stale)
        return corrections_from(self.calibration_log()).apply(merged) if correct else merged

    def climate_series(
        self,
        case_id: str,
        start: datetime,
        end: datetime,
        every: timedelta | None = None,
        correct: bool = True,
    ) -> pd.DataFrame:
        """Readings of one case between ``start`` (inclusive) and ``end`` (exclusive).

        With ``every``, InfluxDB aggregates to the mean per interval and sensor (so the
        browser never receives raw years); without it, raw readings.
        Columns: time, sensor_id, temperature_c, rh_pct, battery_pct; with ``correct``, calibrated
        (museum.storage.calibration), the measured values kept in temperature_c_raw, rh_pct_raw.
        """
        where = (
            f"WHERE case_id = {quote_literal(case_id)} AND time >= {time_literal(start)} "
            f"AND time < {time_literal(end)}"
        )
        if every is None:
            select = "SELECT temperature_c, rh_pct, battery_pct"
            group = "GROUP BY sensor_id"
        else:
            select = (
                "SELECT mean(temperature_c) AS temperature_c, mean(rh_pct) AS rh_pct, "
                "mean(battery_pct) AS battery_pct"
            )
            group = f"GROUP BY time({max(1, int(every.total_seconds()))}s), sensor_id fill(none)"
        data = self.frame(f"{select} FROM {quote_identifier(CLIMATE)} {where} {group}")
        columns = ["time", "sensor_id", "temperature_c", "rh_pct", "battery_pct"]
        if data.empty:
            return pd.DataFrame(columns=columns)
        data = data.reindex(columns=columns).sort_values(["time", "sensor_id"], ignore_index=True)
        return corrections_from(self.calibration_log()).apply(data) if correct else data

    def recent_trend(self, hours: int = 3) -> pd.DataFrame:
        """Each case's mean temperature and RH in half-hour steps over the last ``hours``:
        columns time, case_id, temperature_c, rh_pct (one query for every case)."""
        data = self.frame(
            "SELECT mean(temperature_c) AS temperature_c, mean(rh_pct) AS rh_pct "
            f"FROM {quote_identifier(CLIMATE)} WHERE time > now() - {int(hours)}h "
            "GROUP BY time(30m), case_id fill(none)"
        )
        columns = ["time", "case_id", "temperature_c", "rh_pct"]
        return data.reindex(columns=columns) if not data.empty else pd.DataFrame(columns=columns)

    def latest_collector_stats(self) -> pd.DataFrame:
        """The last ``collector_stats`` point of every collector instance (last 7 days)."""
        data = self.frame(
            f"SELECT * FROM {quote_identifier(COLLECTOR_STATS)} WHERE time > now() - 7d "
            "GROUP BY instance ORDER BY time DESC LIMIT 1"
        )
        return data.drop(columns=[c for c in data.columns if c.startswith("instance_")], errors="ignore")

    def message_counts(self, within: timedelta = timedelta(hours=1)) -> pd.DataFrame:
        """Readings per sensor over the last ``within``: sensor_id, readings."""
        data = self.frame(
            f"SELECT count(rh_pct) AS readings FROM {quote_identifier(CLIMATE)} "
            f"WHERE time > now() - {int(within.total_seconds())}s GROUP BY sensor_id"
        )
        return data.drop(columns=["time"], errors="ignore") if not data.empty else data

    def readings_per_hour(self, start: datetime, end: datetime) -> pd.DataFrame:
        """RH readings of every sensor per hour between ``start`` and ``end``: time (the
        hour's start, UTC), sensor_id, case_id, readings; hours without a reading are rows
        with 0 (a sensor never heard from in the period has no rows).

        The same figures as :meth:`count_readings_per_hour`, the raw count, read mostly from
        the hourly aggregates (a raw count of a week of 200 sensors returns 33,600 rows):
        the hours before the last ``RAW_COUNT_HOURS`` come from ``climate_hourly`` for every
        sensor whose raw readings over them, counted as one figure per sensor and case, sum
        to what its aggregates counted (:func:`~museum.storage.hourly.untrusted_sensors`);
        the other sensors (a late reading in an aggregated hour, hours never aggregated, raw
        readings expired) and the last hours are counted from the raw readings, hour by hour."""
        start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        end = end.astimezone(UTC)
        now_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        whole_end = end.replace(minute=0, second=0, microsecond=0)
        split = max(start, min(whole_end, now_hour - timedelta(hours=RAW_COUNT_HOURS)))
        # Side by side: InfluxDB answers the three at once (the session's pool is thread-safe).
        with ThreadPoolExecutor(max_workers=3) as pool:
            stored_f = pool.submit(self._stored_readings, start, split)
            totals_f = pool.submit(self._raw_readings, start, split, False)
            recent_f = pool.submit(self.count_readings_per_hour, split, end)
            stored, totals, recent = stored_f.result(), totals_f.result(), recent_f.result()
        recount = untrusted_sensors(stored, totals)
        recounted = self.count_readings_per_hour(start, split, recount) if recount else pd.DataFrame()
        if not stored.empty:
            stored = stored[~stored["sensor_id"].isin(recount)]
        present = {
            (sensor, case)
            for part in (totals[totals["readings"] > 0] if not totals.empty else totals, recent)
            if not part.empty
            for sensor, case in zip(part["sensor_id"], part["case_id"], strict=True)
        }
        return readings_grid([stored, recounted, recent], sorted(present), start, end)

    def count_readings_per_hour(
        self, start: datetime, end: datetime, sensors: Sequence[str] = ()
    ) -> pd.DataFrame:
        """:meth:`readings_per_hour` counted from the raw readings only (of ``sensors``, or
        every sensor)."""
        start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        data = self._raw_readings(start, end, True, sensors)
        columns = ["time", "sensor_id", "case_id", "readings"]
        if data.empty:
            return pd.DataFrame(columns=columns)
        data["readings"] = data["readings"].astype("int64")
        return data.reindex(columns=columns).sort_values(["sensor_id", "time"], ignore_index=True)

    def _raw_readings(
        self, start: datetime, end: datetime, per_hour: bool, sensors: Sequence[str] = ()
    ) -> pd.DataFrame:
        return (
            self.frame(raw_count_statement(start, end, per_hour, sensors)) if end > start else pd.DataFrame()
        )

    def _stored_readings(self, start: datetime, end: datetime) -> pd.DataFrame:
        try:
            return self.frame(stored_readings_statement(start, end)) if end > start else pd.DataFrame()
        except StoreError as error:  # no collector has set the aggregates up: all raw
            if "retention policy not found" not in str(error):
                raise
            return pd.DataFrame()

    def first_reading_time(self, start: datetime, end: datetime) -> datetime | None:
        """The time of the earliest reading between ``start`` and ``end`` (any sensor), or
        None: where monitoring began, when it began inside a period."""
        data = self.frame(
            f"SELECT first(rh_pct) FROM {quote_identifier(CLIMATE)} "
            f"WHERE time >= {time_literal(start)} AND time < {time_literal(end)}"
        )
        if data.empty:
            return None
        return pd.Timestamp(data["time"].min()).floor("us").to_pydatetime()

    def latest_risk(self, within: timedelta = timedelta(days=2)) -> pd.DataFrame:
        """The last ``risk`` point of every artefact: time, site, case_id, artefact_id,
        material, score, level (0–3), driver, and where the collector wrote them: since_s
        (when the level began), rh_pct and temperature_c (the case's worst sensor) and
        limit_pct (the limit of the driving material)."""
        data = self.frame(
            "SELECT score, level, driver, since_s, rh_pct, temperature_c, limit_pct "
            f"FROM {quote_identifier(RISK)} "
            f"WHERE time > now() - {int(within.total_seconds())}s "
            "GROUP BY site, case_id, artefact_id, material ORDER BY time DESC LIMIT 1"
        )
        if data.empty:
            return data
        return data.sort_values("time").groupby("artefact_id", as_index=False).tail(1).reset_index(drop=True)

    def count_climate(self) -> int:
        """How many climate points carry an RH value."""
        series = self.execute(f"SELECT count(rh_pct) FROM {quote_identifier(CLIMATE)}")
        return int(series[0]["values"][0][1]) if series else 0


def _one_frame(result: list[dict[str, Any]]) -> pd.DataFrame:
    """The series of a query as one DataFrame, a column per tag. Series of the same columns
    and tags (one per sensor, case or artefact) are joined as plain lists first: a DataFrame
    per series took 4 ms each, 0.8 s for the 200 artefacts of a large museum
    (benchmarks/bench_dashboard_scale.py); other results are concatenated frame by frame."""
    first = result[0]
    tag_names = list((first.get("tags") or {}).keys())
    alike = all(
        series["columns"] == first["columns"] and list((series.get("tags") or {}).keys()) == tag_names
        for series in result
    )
    if not alike:
        frames = []
        for series in result:
            frame = pd.DataFrame(series["values"], columns=series["columns"])
            for tag, value in (series.get("tags") or {}).items():
                frame[tag] = value
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)
    rows = [row for series in result for row in series["values"]]
    data = pd.DataFrame(rows, columns=first["columns"])
    lengths = [len(series["values"]) for series in result]
    for tag in tag_names:
        data[tag] = [
            value for series, n in zip(result, lengths, strict=True) for value in [series["tags"][tag]] * n
        ]
    return data
