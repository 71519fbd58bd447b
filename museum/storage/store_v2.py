"""The same store over InfluxDB 2.x and InfluxDB Cloud, through ``influxdb-client``.

Selected with ``[influxdb] api = "v2"`` (url, ``org``, ``bucket``; the token only from
``PATINA_INFLUX_TOKEN``). :class:`Influx2Store` keeps every method of
:class:`~museum.storage.store.InfluxStore`; what differs is underneath:

- writes go through ``influxdb-client``'s synchronous write API (line protocol from
  :mod:`museum.storage.lineprotocol`, nanosecond precision);
- the bucket, its retention, the hourly bucket and the downsampling task are managed
  through the client's bucket, DBRP and task APIs;
- queries stay InfluxQL, sent with the token to the 1.x-compatible ``/query`` endpoint that
  2.x and Cloud serve for mapped buckets (docs.influxdata.com, "Query data with InfluxQL"
  and "Database and retention policy mapping"). One query language for both backends keeps
  every query in :mod:`museum.storage.store` and :mod:`museum.storage.hourly`, built from
  :mod:`museum.storage.influxql`'s quoting.

The raw bucket ``<bucket>`` maps to database ``<bucket>``, retention policy ``autogen``;
hourly aggregates live in the bucket ``<bucket>/patina_forever`` (no expiry), which maps to
the retention policy ``patina_forever`` of the same database: the InfluxQL of the v1
backend reads both unchanged. Continuous queries do not exist in 2.x: a task written in
Flux computes the same aggregates every hour over the last two days.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import urllib3
from influxdb_client import BucketRetentionRules, InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.dbrp_create import DBRPCreate
from influxdb_client.rest import ApiException
from influxdb_client.service.dbr_ps_service import DBRPsService

from museum.description.secrets import redact_url
from museum.storage.hourly import HOURLY_POLICY, HOURLY_QUERY
from museum.storage.schema import CLIMATE, CLIMATE_HOURLY
from museum.storage.store import (
    AccessDenied,
    DatabaseMissing,
    InfluxStore,
    PointsRefused,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger("patina.store")


def flux_string(text: str) -> str:
    """A Flux string literal: the one place Flux text is quoted. JSON's escaping of
    backslash, double quote and control characters is Flux's; ``${`` would start an
    interpolation, so ``$`` is escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("$", "\\$")


def hourly_flux(source_bucket: str, target_bucket: str, start: str, stop: str | None = None) -> str:
    """Flux computing what the v1 continuous query computes (``museum.storage.hourly.hourly_select``):
    per sensor and hour (window start), mean, minimum and maximum of temperature and RH and
    the count of RH readings, into ``climate_hourly`` of ``target_bucket``. ``start`` and
    ``stop`` are Flux time expressions."""
    bounds = f"start: {start}" + (f", stop: {stop}" if stop else "")
    measurement, hourly = flux_string(CLIMATE), flux_string(CLIMATE_HOURLY)
    return f"""
data = from(bucket: {flux_string(source_bucket)})
    |> range({bounds})
    |> filter(fn: (r) => r._measurement == {measurement})
    |> filter(fn: (r) => r._field == "temperature_c" or r._field == "rh_pct")
hourly = (tables=<-, fn, suffix) => tables
    |> aggregateWindow(every: 1h, fn: fn, createEmpty: false, timeSrc: "_start")
    |> map(fn: (r) => ({{r with _measurement: {hourly}, _field: r._field + suffix}}))
union(tables: [
    data |> hourly(fn: mean, suffix: ""),
    data |> hourly(fn: min, suffix: "_min"),
    data |> hourly(fn: max, suffix: "_max"),
    data |> filter(fn: (r) => r._field == "rh_pct")
         |> aggregateWindow(every: 1h, fn: count, createEmpty: false, timeSrc: "_start")
         |> map(fn: (r) => ({{r with _measurement: {hourly}, _field: "readings"}})),
])
    |> drop(columns: ["_start", "_stop"])
    |> to(bucket: {flux_string(target_bucket)})
"""


class Influx2Store(InfluxStore):
    """A client of one InfluxDB 2.x / Cloud bucket; the interface of :class:`InfluxStore`."""

    def __init__(self, url: str, bucket: str, org: str, token: str, timeout_s: float = 10.0) -> None:
        if "/" in bucket:
            raise StoreError(f"bucket name {bucket!r} must not contain '/': it names database/policy pairs")
        super().__init__(url, bucket, timeout_s=timeout_s)
        self.org = org
        self.bucket = bucket
        self.hourly_bucket = f"{bucket}/{HOURLY_POLICY}"
        # The 1.x-compatible /query endpoint takes the same token.
        self._session.headers["Authorization"] = f"Token {token}"
        self._client = InfluxDBClient(
            url=self.url, token=token, org=org, timeout=int(timeout_s * 1000), retries=False
        )
        self._writer = self._client.write_api(write_options=SYNCHRONOUS)

    def close(self) -> None:
        super().close()
        self._client.close()

    # --- transport -------------------------------------------------------------------
    def _call(self, what: str, action: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a client call, turning its failures into StoreError / StoreUnavailable."""
        try:
            return action(*args, **kwargs)
        except ApiException as error:
            detail = (
                f"InfluxDB at {redact_url(self.url)} refused {what}: "
                f"HTTP {error.status} {str(error.body)[:300]}"
            )
            if error.status is None or error.status >= 500:
                raise StoreUnavailable(detail) from None
            if error.status in (401, 403):
                raise AccessDenied(detail) from None
            if error.status == 404 and "bucket" in str(error.body):
                raise DatabaseMissing(detail) from None
            if error.status in (400, 422):
                raise PointsRefused(detail) from None
            raise StoreError(detail) from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise StoreUnavailable(f"InfluxDB at {redact_url(self.url)} is unreachable: {error}") from None

    def ping(self) -> bool:
        return bool(self._client.ping())

    def _write_policy(self, lines: Sequence[str], policy: str | None) -> None:
        if not lines:
            return
        self._call(
            "the write",
            self._writer.write,
            # A retention policy of the database is a bucket of its own ("<bucket>/<policy>").
            bucket=f"{self.bucket}/{policy}" if policy else self.bucket,
            org=self.org,
            record=list(lines),
            write_precision=WritePrecision.NS,
        )

    # --- buckets, mappings, retention -------------------------------------------------
    def _org_id(self) -> str:
        found = self._call(
            "the organisation lookup", self._client.organizations_api().find_organizations, org=self.org
        )
        if not found:
            raise StoreError(f"InfluxDB at {redact_url(self.url)} has no organisation {self.org!r}")
        return str(found[0].id)

    def _ensure_bucket(self, name: str, retention_s: int = 0) -> Any:
        buckets = self._client.buckets_api()
        bucket = self._call("the bucket lookup", buckets.find_bucket_by_name, name)
        rules = [BucketRetentionRules(type="expire", every_seconds=retention_s)] if retention_s else []
        if bucket is None:
            log.info("creating bucket %r in organisation %r", name, self.org)
            return self._call(
                "the bucket creation",
                buckets.create_bucket,
                bucket_name=name,
                retention_rules=rules,
                org_id=self._org_id(),
            )
        return bucket

    def _ensure_mapping(self, bucket: Any, policy: str, default: bool) -> None:
        """An explicit DBRP mapping (2.7 and later also map buckets virtually by name;
        older 2.x and Cloud need it explicit)."""
        service = DBRPsService(self._client.api_client)
        org_id = str(bucket.org_id)
        found = self._call("the DBRP lookup", service.get_dbr_ps, org_id=org_id, db=self.bucket, rp=policy)
        if any(not getattr(m, "virtual", False) for m in (found.content or [])):
            return
        self._call(
            "the DBRP mapping",
            service.post_dbrp,
            DBRPCreate(
                org_id=org_id,
                bucket_id=bucket.id,
                database=self.bucket,
                retention_policy=policy,
                default=default,
            ),
        )

    def create_database(self) -> None:
        """Create the bucket (no expiry) and its mapping for InfluxQL, if missing."""
        bucket = self._ensure_bucket(self.bucket)
        self._ensure_mapping(bucket, "autogen", default=True)

    def ensure_forever(self) -> None:
        """The bucket kept for ever (``<bucket>/patina_forever``) and its mapping."""
        self._ensure_mapping(self._ensure_bucket(self.hourly_bucket), HOURLY_POLICY, default=False)

    def ensure_downsampling(self, raw_retention: timedelta | None = None) -> None:
        """The 2.x form of :meth:`InfluxStore.ensure_downsampling`: the hourly bucket (kept
        for ever) and its mapping, the hourly task, and the raw bucket's expiry."""
        raw = self._ensure_bucket(self.bucket)
        hourly = self._ensure_bucket(self.hourly_bucket)
        self._ensure_mapping(hourly, HOURLY_POLICY, default=False)
        tasks = self._client.tasks_api()
        if not self._call("the task lookup", tasks.find_tasks, name=HOURLY_QUERY):
            organisation = self._call(
                "the organisation lookup", self._client.organizations_api().find_organizations, org=self.org
            )[0]
            self._call(
                "the task creation",
                tasks.create_task_every,
                HOURLY_QUERY,
                hourly_flux(self.bucket, self.hourly_bucket, "-2d"),
                "1h",
                organisation,
            )
        if raw_retention is not None:
            raw.retention_rules = [
                BucketRetentionRules(type="expire", every_seconds=int(raw_retention.total_seconds()))
            ]
            self._call("the retention change", self._client.buckets_api().update_bucket, raw)

    def copy_to_forever(self, measurement: str) -> int | None:
        """The 2.x form of :meth:`InfluxStore.copy_to_forever` (its InfluxQL is read-only):
        Flux reads the measurement from the raw bucket and writes it into the one kept for
        ever, tags as tags. ``to()`` does not say how many points it wrote: None."""
        flux = f"""
from(bucket: {flux_string(self.bucket)})
    |> range(start: 0)
    |> filter(fn: (r) => r._measurement == {flux_string(measurement)})
    |> drop(columns: ["_start", "_stop"])
    |> to(bucket: {flux_string(self.hourly_bucket)})
"""
        self._call(
            "the copy into the bucket kept for ever", self._client.query_api().query, flux, org=self.org
        )
        return None

    def backfill_hourly(self, start: datetime, end: datetime, step: timedelta = timedelta(days=30)) -> None:
        moment = start
        while moment < end:
            until = min(end, moment + step)
            flux = hourly_flux(
                self.bucket,
                self.hourly_bucket,
                f"time(v: {flux_string(moment.astimezone(UTC).isoformat())})",
                f"time(v: {flux_string(until.astimezone(UTC).isoformat())})",
            )
            self._call("the hourly backfill", self._client.query_api().query, flux, org=self.org)
            moment = until
