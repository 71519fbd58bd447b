"""Private Mosquitto and InfluxDB processes, for `patina demo` and the test suite.

Both are started from the configs in ``deploy/``, moved to a port and a data directory
of their own, so they never touch a system service.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy"


class ServiceError(RuntimeError):
    """A service could not be started; the message says which and why."""


#: Where the kernel picks the local ports of outgoing connections (Linux's default range).
_EPHEMERAL_PORTS = (32768, 60999)


def _ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return _EPHEMERAL_PORTS


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, below the range the
    kernel gives outgoing connections: a server restarted on its port (a database killed
    and started again) must find it free, and a client retrying a dead port in that range
    can be handed the port itself as its own (a TCP self-connect), or another process's
    connection can, and the restart then fails with "address already in use"."""
    low, _ = _ephemeral_ports()
    below = range(10_000, low)
    for port in random.sample(below, min(200, len(below))):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class ManagedProcess:
    """A server process this program started: start, wait until ready, stop, kill."""

    name = "process"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log_path = self.data_dir / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout_s: float = 30.0) -> None:
        argv = self.command()
        if shutil.which(argv[0]) is None:
            raise ServiceError(f"{argv[0]} is not installed (apt-get install {self.name})")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=self.environment(), start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceError(
                    f"{self.name} exited with {self.process.returncode}; "
                    f"see {self.log_path}:\n{self._log_tail()}"
                )
            if self.ready():
                return
            time.sleep(0.05)
        self.stop()
        raise ServiceError(
            f"{self.name} did not become ready on port {self.port} within "
            f"{timeout_s:.0f} s; see {self.log_path}"
        )

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """SIGKILL, as a crash or a power cut would stop it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


class MosquittoServer(ManagedProcess):
    """Mosquitto with ``deploy/mosquitto.conf``, on a private port and persistence directory.
    ``settings`` replace lines of that file by their first word, or are added after the
    listener (tests use them for passwords and TLS)."""

    name = "mosquitto"

    def __init__(
        self, data_dir: Path, port: int | None = None, settings: dict[str, str] | None = None
    ) -> None:
        super().__init__(data_dir, port)
        self.settings = dict(settings or {})

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        lines = []
        pending = dict(self.settings)
        for line in (DEPLOY_DIR / "mosquitto.conf").read_text().splitlines():
            word = line.split(" ", 1)[0]
            if word == "listener":
                line = f"listener {self.port} 127.0.0.1"
            elif word == "persistence_location":
                line = f"persistence_location {self.data_dir}/"
            elif word in pending:
                line = f"{word} {pending.pop(word)}"
            lines.append(line)
        if os.geteuid() == 0 and "user" not in pending:
            # Started as root, Mosquitto drops to the "mosquitto" user, which cannot write a
            # private data directory (nor reach one under a 0700 temporary folder).
            lines.insert(0, "user root")
        lines += [f"{word} {value}" for word, value in pending.items()]
        path = self.data_dir / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    def command(self) -> list[str]:
        return ["mosquitto", "-c", str(self.write_config())]

    def ready(self) -> bool:
        return port_open("127.0.0.1", self.port)


class InfluxServer(ManagedProcess):
    """InfluxDB 1.x with ``deploy/influxdb.conf``, on private ports and directories."""

    name = "influxdb"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        super().__init__(data_dir, port)
        self.rpc_port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return ["influxd", "run", "-config", str(DEPLOY_DIR / "influxdb.conf")]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "INFLUXDB_BIND_ADDRESS": f"127.0.0.1:{self.rpc_port}",
                "INFLUXDB_HTTP_BIND_ADDRESS": f"127.0.0.1:{self.port}",
                "INFLUXDB_META_DIR": str(self.data_dir / "meta"),
                "INFLUXDB_DATA_DIR": str(self.data_dir / "data"),
                "INFLUXDB_DATA_WAL_DIR": str(self.data_dir / "wal"),
            }
        )
        return env

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/ping", timeout=0.5).status_code == 204
        except requests.RequestException:
            return False
