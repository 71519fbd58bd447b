"""Backup, verify and restore of an existing, large Patina database, measured as a person
runs them (issue 28: one year of 200 sensors at one minute). Prints figures; passes or
fails nothing.

    nice -n 10 .venv/bin/python benchmarks/bench_backup_big.py --config /work/bigdb/museum-shared.toml

The database the config names is only read: ``patina backup`` counts its values and asks
its backup service for a portable backup (InfluxDB flushes its cache to disk for that, but
changes no data). The archive is written into a temporary folder; ``patina backup
--verify`` reads it; ``patina restore`` brings it into a fresh private influxd in that
folder, whose disk use is measured once its compactions have settled; then the folder is
deleted. The three commands run as subprocesses of the installed CLI, so each time is the
command's whole wall time (Python's start included).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_years import du_bytes, settled_du  # benchmarks/: the script's folder is on sys.path

from museum.description.config import load_config
from museum.storage.backup import points, verify_backup
from patina.services import InfluxServer


def run(arguments: list[str], environ: dict[str, str]) -> tuple[float, str]:
    """Run ``patina <arguments>``: wall seconds and its output; stops the benchmark on failure."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "patina", *arguments], env=environ, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - began
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise SystemExit(f"patina {' '.join(arguments)} failed (exit {done.returncode}):\n{output}")
    return seconds, output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True, help="the museum.toml of the database to back up")
    parser.add_argument(
        "--folder", default=None, help="where the archive and the copy go (default: a temp dir)"
    )
    args = parser.parse_args()
    source_config = Path(args.config).resolve()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at start: {os.getloadavg()}")
    base = dict(os.environ)
    base["PATH"] = f"{base.get('PATH', '')}:/usr/sbin"
    source = load_config(source_config, environ=base)
    print(f"database {source.influxdb.database!r} at {source.influxdb.url}, date {time.strftime('%Y-%m-%d')}")
    folder = Path(tempfile.mkdtemp(prefix="patina-bench-backup-", dir=args.folder))
    try:
        archive = folder / "big.tar"
        backup_s, output = run(["backup", "--config", str(source_config), "--out", str(archive)], base)
        print(f"patina backup: {backup_s:.1f} s wall, archive {archive.stat().st_size / 1e6:,.1f} MB")
        print("  " + output.replace("\n", "\n  "))
        verify_s, output = run(["backup", "--verify", str(archive)], base)
        print(f"patina backup --verify: {verify_s:.1f} s wall")
        print("  " + output)
        manifest = verify_backup(archive)[0]
        total = sum(points(fields) for ms in manifest["counts"].values() for fields in ms.values())
        print(f"  manifest: {total:,} points, schema version {manifest['schema_version']}")

        # The restore runs on a copy of the config (anything it writes beside the config
        # goes into the temp folder), pointed at a fresh influxd.
        config_copy = folder / "museum.toml"
        shutil.copy2(source_config, config_copy)
        fresh = InfluxServer(folder / "fresh-influxdb")
        fresh.start()
        try:
            environ = {
                **base,
                "PATINA_INFLUX_URL": fresh.url,
                "PATINA_INFLUX_BACKUP_ADDRESS": f"127.0.0.1:{fresh.rpc_port}",
                "PATINA_SPOOL_PATH": str(folder / "spool.sqlite3"),
            }
            restore_s, output = run(["restore", "--config", str(config_copy), str(archive)], environ)
            print(f"patina restore into a fresh influxd: {restore_s:.1f} s wall")
            print("  " + output.replace("\n", "\n  ")[:2000])
            # patina restore counts the restored database and compares it with the manifest.
            equal = "every count is the backup's" in output
            print(f"  every count equal to the manifest's (patina restore's own check): {equal}")
            data = fresh.data_dir / "data"
            print(f"  restored data dir right after: {du_bytes(data) / 1e6:,.1f} MB (du)")
            settled = settled_du(data) + du_bytes(fresh.data_dir / "wal")
            print(f"  restored data + wal, once compactions settled: {settled / 1e6:,.1f} MB (du)")
        finally:
            fresh.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"deleted {folder}")


if __name__ == "__main__":
    main()
