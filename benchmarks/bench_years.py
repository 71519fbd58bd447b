"""Five years of a museum in compressed time (issue 28): what they cost in disk, how long a
backup and a restore take, and whether the pages slow down from year 1 to year 5. Prints
figures; passes or fails nothing.

    .venv/bin/python benchmarks/bench_years.py [--cases 20] [--years 5] [--raw-days 400]
    .venv/bin/python benchmarks/bench_years.py --big [--big-days 30]   # 200 sensors, 1 min

The database of each year's end is built as production leaves it, without running the
years: hourly aggregates (``patina_forever.climate_hourly``) for every year so far, and in
the default policy (``raw_retention``) only the last ``--raw-days`` of raw readings, risk
points and collector statistics, at the rates the collector writes them (a reading every
``--interval`` per sensor, a risk point per object every 15 minutes while it is good, the
collector's statistics every 10 s), plus alert events and moves. Each year adds the year
*before* the history so far (the raw window stays the last days before now), so "now" is the
same for every year and the page queries ask the same thing of a longer history.

influxd runs with its compactions brought forward (cold shards fully compacted after 30 s
rather than 4 h) so that ``du`` measures shards as production's are once compacted; the
size is read once it has stopped changing. ``du -s -B1`` counts the blocks allocated: InfluxDB's
series file preallocates 32 MB of sparse segments per database, which ``du -b`` would count.

``--big`` measures a backup and a restore of 200 sensors at one minute over ``--big-days``
(a year is 105 million readings: loading it here would take most of an hour) and
extrapolates to a year linearly, saying so.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from figures import figure  # benchmarks/figures.py: the script's own folder is on sys.path

from museum.description.config import MuseumConfig, load_config
from museum.storage.backup import create_backup, database_counts
from museum.storage.restore import restore_backup
from museum.storage.store import InfluxStore
from museum.storage.versions import ensure_schema_version
from patina.services import InfluxServer

DAY_S = 86_400
YEAR_S = 365 * DAY_S
BATCH = 50_000


class CompactingInflux(InfluxServer):
    """influxd with its compactions brought forward (see the module)."""

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["INFLUXDB_DATA_COMPACT_FULL_WRITE_COLD_DURATION"] = "30s"
        env["INFLUXDB_DATA_CACHE_SNAPSHOT_WRITE_COLD_DURATION"] = "5s"
        return env


def config_text(cases: int, sensors_per_case: int, raw_days: float) -> str:
    lines = [
        '[museum]\nname = "Years museum"\ntimezone = "Asia/Ho_Chi_Minh"\nlanguage = "en"',
        f'[influxdb]\ndatabase = "years"\nraw_retention = "{raw_days:g}d"',
        '[collector]\nspool_path = "spool.sqlite3"',
        '[[sites]]\nid = "hanoi"\nname = "Hà Nội"',
    ]
    for number in range(cases):
        sensors = ", ".join(f'"k{number:03d}-{s}"' for s in range(sensors_per_case))
        lines.append(
            f'[[cases]]\nid = "K{number:03d}"\nsite = "hanoi"\ngallery = "Gallery {number // 10 + 1}"\n'
            f'name = "Case {number}"\nsensors = [{sensors}]\n'
            f'  [[cases.artefacts]]\n  id = "A{number:03d}"\n  name = "Artefact {number}"\n'
            '  materials = ["archaeological_iron"]'
        )
    return "\n\n".join(lines) + "\n"


def sensors_of(config: MuseumConfig) -> list[tuple[str, str]]:
    return [(case.id, sensor) for case in config.cases for sensor in case.sensors]


def write(store: InfluxStore, lines: list[str], policy: str | None = None) -> int:
    for first in range(0, len(lines), BATCH):
        store.write_lines(lines[first : first + BATCH], policy=policy)
    return len(lines)


def climate(hours: np.ndarray, number: int) -> tuple[np.ndarray, np.ndarray]:
    """A case's temperature and RH at ``hours`` (hours since the epoch): seasons, days, noise."""
    rng = np.random.default_rng(number)
    temperature = 26 + 3 * np.sin(2 * np.pi * hours / 8766) + 1.5 * np.sin(2 * np.pi * hours / 24)
    rh = 55 + 10 * np.sin(2 * np.pi * hours / 8766 + number) - 3 * np.sin(2 * np.pi * hours / 24)
    return temperature + rng.normal(0, 0.1, len(hours)), rh + rng.normal(0, 0.4, len(hours))


def write_hourly(store: InfluxStore, config: MuseumConfig, start_s: int, end_s: int, interval_s: int) -> int:
    """The hourly aggregates the continuous query leaves, for [start_s, end_s)."""
    hours_s = np.arange(start_s // 3600 * 3600, end_s, 3600)
    per_hour = 3600 // interval_s
    written = 0
    for number, (case_id, sensor) in enumerate(sensors_of(config)):
        t, rh = climate(hours_s / 3600.0, number)
        prefix = f"climate_hourly,case_id={case_id},sensor_id={sensor},site=hanoi "
        lines = [
            f"{prefix}temperature_c={a:.3f},rh_pct={b:.3f},temperature_c_min={a - 0.4:.2f},"
            f"temperature_c_max={a + 0.4:.2f},rh_pct_min={b - 1.2:.1f},rh_pct_max={b + 1.2:.1f},"
            f"readings={per_hour}i {s * 1_000_000_000}"
            for a, b, s in zip(t.tolist(), rh.tolist(), hours_s.tolist(), strict=True)
        ]
        written += write(store, lines, "patina_forever")
    return written


def write_raw(store: InfluxStore, config: MuseumConfig, start_s: int, end_s: int, interval_s: int) -> int:
    """Raw readings, risk points, collector statistics, alert events and moves of [start_s, end_s)."""
    written = 0
    times_s = np.arange(start_s // interval_s * interval_s, end_s, interval_s)
    for number, (case_id, sensor) in enumerate(sensors_of(config)):
        t, rh = climate(times_s / 3600.0, number)
        prefix = f"climate,case_id={case_id},sensor_id={sensor},site=hanoi "
        lines = [
            f'{prefix}temperature_c={a:.2f},rh_pct={b:.1f},battery_pct=80,ts_source="sensor" '
            f"{s * 1_000_000_000}"
            for a, b, s in zip(t.tolist(), rh.tolist(), times_s.tolist(), strict=True)
        ]
        written += write(store, lines)
    risk_s = np.arange(start_s // 900 * 900, end_s, 900)
    for case in config.cases:
        for artefact in case.artefacts:
            prefix = (
                f"risk,artefact_id={artefact.id},case_id={case.id},material=archaeological_iron,site=hanoi "
            )
            lines = [
                f'{prefix}score=12,level=0i,driver="rh",rh_pct=48.5,limit_pct=35 {s}000000000' for s in risk_s
            ]
            written += write(store, lines)
    stats_s = np.arange(start_s // 10 * 10, end_s, 10)
    prefix = "collector_stats,instance=museum-server "
    lines = [
        f"{prefix}received={k}i,written={k}i,rejected=0i,spooled=0i,spool_depth=0i,lag_s=0.4,"
        f"redelivered=0i,quarantine_dropped=0i,database_reachable=true {s}000000000"
        for k, s in enumerate(stats_s.tolist())
    ]
    written += write(store, lines)
    week_s = np.arange(start_s, end_s, 7 * DAY_S)
    events = []
    for k, s in enumerate(week_s.tolist()):
        case_id = f"K{k % len(config.cases):03d}"
        tags = f"alert_events,alert_id=w{s},case_id={case_id},rule=rh_high,severity=warning,site=hanoi"
        for offset, state in ((0, "opened"), (60, "notified"), (3600, "acknowledged"), (7200, "resolved")):
            note = (
                'note="Gel changed, checked next day.",user="conservator",' if state == "acknowledged" else ""
            )
            events.append(
                f'{tags} {note}state="{state}",rule_key="rh_high",message="RH 61 % > 55 %" '
                f"{s + offset}000000000"
            )
    return written + write(store, events)


def du_bytes(folder: Path) -> int:
    output = subprocess.run(
        ["du", "-s", "-B1", str(folder)], capture_output=True, text=True, check=True
    ).stdout
    return int(output.split()[0])


def settled_du(folder: Path, quiet_s: float = 40.0, timeout_s: float = 300.0) -> int:
    """The size of ``folder`` once compactions have stopped changing it."""
    deadline = time.monotonic() + timeout_s
    size, since = du_bytes(folder), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        time.sleep(5)
        now = du_bytes(folder)
        if now != size:
            size, since = now, time.monotonic()
    return size


def median_s(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def page_queries(store: InfluxStore, config: MuseumConfig, years: int) -> dict[str, float]:
    """The store queries behind the overview and a case page (median of 3, warm InfluxDB)."""
    now = datetime.now(UTC)
    sensors = [sensor for _, sensor in sensors_of(config)]
    return {
        "overview: latest reading of every sensor": median_s(lambda: store.latest_climate(expected=sensors)),
        "overview: RH trend of every case, 3 h": median_s(store.recent_trend),
        "overview: latest risk of every object": median_s(store.latest_risk),
        "overview: alerts of the last year": median_s(store.alerts),
        "case page: 1 day, raw": median_s(lambda: store.climate_series("K007", now - timedelta(days=1), now)),
        "case page: 1 year, hourly": median_s(
            lambda: store.hourly_series("K007", now - timedelta(days=365), now, repair=False)
        ),
        "case page: whole history, hourly": median_s(
            lambda: store.hourly_series("K007", now - timedelta(days=365 * years + 1), now, repair=False)
        ),
    }


def compare_pages(
    store: InfluxStore, config: MuseumConfig, server: InfluxServer, year1: Path, years: int
) -> None:
    """The page queries on the database of year 1 (its backup restored beside) and of the
    last year, measured in turns so that the machine's load weighs on both alike."""
    assert config.path is not None
    first = load_config(
        config.path,
        environ={
            "PATINA_INFLUX_URL": server.url,
            "PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{server.rpc_port}",
            "PATINA_INFLUX_DB": "years_y1",
        },
    )
    restore_backup(first, year1, "bench")
    first_store = InfluxStore(server.url, "years_y1", timeout_s=3600)
    runs: dict[int, list[dict[str, float]]] = {1: [], years: []}
    for _ in range(3):
        runs[1].append(page_queries(first_store, first, 1))
        runs[years].append(page_queries(store, config, years))
    print(f"page queries (median of 3 turns, each the median of 3 runs), year 1 | year {years}:")
    for name in runs[1][0]:
        medians = {y: statistics.median(r[name] for r in runs[y]) * 1000 for y in runs}
        print(f"  {name:44} {medians[1]:8.1f} ms | {medians[years]:8.1f} ms")
        for y, value in medians.items():
            figure(f"years: {name}, year {y}", value, "ms")
    first_store.close()


def backup_and_restore(
    config: MuseumConfig, folder: Path, label: str, keep: bool = False
) -> tuple[float, int, float]:
    """Back up ``config``'s database and restore it into a fresh influxd: seconds, bytes, seconds."""
    archive = folder / f"{label}.tar"
    made = create_backup(config, archive, "bench")
    print(f"  (backup: {made.counting_s:.1f} s of it counting the values for the manifest)")
    fresh = InfluxServer(folder / f"fresh-{label}")
    fresh.start()
    try:
        assert config.path is not None
        target = load_config(
            config.path,
            environ={
                "PATINA_INFLUX_URL": fresh.url,
                "PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{fresh.rpc_port}",
                "PATINA_SPOOL_PATH": str(folder / f"fresh-{label}" / "spool.sqlite3"),
            },
        )
        restored = restore_backup(target, archive, "bench")
        if restored.differences:
            print("  restore differs:", restored.differences[:5])
    finally:
        fresh.stop()
        shutil.rmtree(folder / f"fresh-{label}", ignore_errors=True)
    if not keep:
        archive.unlink()
    return made.seconds, made.bytes, restored.seconds


def make_config(
    folder: Path, server: InfluxServer, cases: int, per_case: int, raw_days: float
) -> MuseumConfig:
    path = folder / "museum.toml"
    path.write_text(config_text(cases, per_case, raw_days))
    environ = {
        "PATINA_INFLUX_URL": server.url,
        "PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{server.rpc_port}",
    }
    return load_config(path, environ=environ)


def years(args: argparse.Namespace, folder: Path) -> None:
    server = CompactingInflux(folder / "influxdb")
    server.start()
    try:
        config = make_config(folder, server, args.cases, args.sensors_per_case, args.raw_days)
        store = InfluxStore(server.url, config.influxdb.database, timeout_s=3600)
        store.create_database()
        store.ensure_downsampling(timedelta(days=args.raw_days))
        ensure_schema_version(store, "bench")
        now_s = int(time.time()) // 60 * 60
        raw_from_s = now_s - int(args.raw_days * DAY_S) + 3600  # inside the retention, with an hour to spare
        interval_s = int(args.interval_min * 60)
        previous = 0
        print(
            f"{args.cases} cases, {len(sensors_of(config))} sensors every {args.interval_min:g} min, "
            f"raw readings kept {args.raw_days:g} days, hourly aggregates for ever"
        )
        for year in range(1, args.years + 1):
            began = time.perf_counter()
            written = write_hourly(
                store, config, now_s - year * YEAR_S, now_s - (year - 1) * YEAR_S, interval_s
            )
            raw_start = max(raw_from_s, now_s - year * YEAR_S)
            raw_end = now_s if year == 1 else now_s - (year - 1) * YEAR_S
            if raw_start < raw_end:
                written += write_raw(store, config, raw_start, raw_end, interval_s)
            load_s = time.perf_counter() - began
            size = settled_du(server.data_dir / "data") + du_bytes(server.data_dir / "wal")
            counts = database_counts(store)
            total = sum(max(f.values()) for ms in counts.values() for f in ms.values())
            print(
                f"year {year}: wrote {written:,} points in {load_s:.0f} s; "
                f"the database holds {total:,} points"
            )
            print(
                f"  disk (du of influxd's data and wal): {size / 1e6:.1f} MB, "
                f"{(size - previous) / 1e6:.1f} MB more than the year before"
            )
            figure(f"years: disk at the end of year {year}", size / 1e6, "MB")
            figure(f"years: disk added in year {year}", (size - previous) / 1e6, "MB")
            previous = size
            backup_s, backup_bytes, restore_s = backup_and_restore(config, folder, f"year{year}", year == 1)
            print(
                f"  backup {backup_s:.1f} s, {backup_bytes / 1e6:.1f} MB; "
                f"restore into a fresh influxd {restore_s:.1f} s"
            )
            figure(f"years: backup time, year {year}", backup_s, "s")
            figure(f"years: backup size, year {year}", backup_bytes / 1e6, "MB")
            figure(f"years: restore time, year {year}", restore_s, "s")
        compare_pages(store, config, server, folder / "year1.tar", args.years)
        store.close()
    finally:
        server.stop()


def big(args: argparse.Namespace, folder: Path) -> None:
    """200 sensors at one minute over ``--big-days``: backup and restore, extrapolated to a year."""
    server = CompactingInflux(folder / "influxdb-big")
    server.start()
    try:
        config = make_config(folder, server, 200, 1, 400)
        store = InfluxStore(server.url, config.influxdb.database, timeout_s=3600)
        store.create_database()
        store.ensure_downsampling(timedelta(days=400))
        now_s = int(time.time()) // 60 * 60
        began = time.perf_counter()
        start_s = now_s - int(args.big_days * DAY_S)
        written = 0
        times_s = np.arange(start_s, now_s, 60)
        for number, (case_id, sensor) in enumerate(sensors_of(config)):
            t, rh = climate(times_s / 3600.0, number)
            prefix = f"climate,case_id={case_id},sensor_id={sensor},site=hanoi "
            written += write(
                store,
                [
                    f"{prefix}temperature_c={a:.2f},rh_pct={b:.1f},battery_pct=80 {s * 1_000_000_000}"
                    for a, b, s in zip(t.tolist(), rh.tolist(), times_s.tolist(), strict=True)
                ],
            )
        written += write_hourly(store, config, start_s, now_s, 60)
        print(
            f"200 sensors × {args.big_days:g} days at 1 min: {written:,} points "
            f"in {time.perf_counter() - began:.0f} s"
        )
        size = settled_du(server.data_dir / "data") + du_bytes(server.data_dir / "wal")
        backup_s, backup_bytes, restore_s = backup_and_restore(config, folder, "big")
        scale = 365 / args.big_days
        print(
            f"  disk {size / 1e6:.1f} MB; backup {backup_s:.1f} s, {backup_bytes / 1e6:.1f} MB; "
            f"restore {restore_s:.1f} s"
        )
        print(
            f"  a year, extrapolated linearly (×{scale:.2f}, not measured): "
            f"disk {size * scale / 1e9:.2f} GB, "
            f"backup {backup_s * scale / 60:.1f} min, {backup_bytes * scale / 1e9:.2f} GB, "
            f"restore {restore_s * scale / 60:.1f} min"
        )
        figure(f"years: 200 sensors 1 min, {args.big_days:g} d, backup time", backup_s, "s")
        figure(f"years: 200 sensors 1 min, {args.big_days:g} d, backup size", backup_bytes / 1e6, "MB")
        figure(f"years: 200 sensors 1 min, {args.big_days:g} d, restore time", restore_s, "s")
        store.close()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--sensors-per-case", type=int, default=2)
    parser.add_argument("--interval-min", type=float, default=5.0, help="minutes between a sensor's readings")
    parser.add_argument("--raw-days", type=float, default=400.0)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--big", action="store_true", help="200 sensors at 1 min instead (see the module)")
    parser.add_argument("--big-days", type=float, default=30.0)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    folder = Path(tempfile.mkdtemp(prefix="patina-bench-years-"))
    try:
        big(args, folder) if args.big else years(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
