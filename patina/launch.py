"""Starting the long-running parts and waiting for them: the Streamlit command serving the
dashboard and the wait for a stop signal, shared by `patina dashboard` (patina/dashboard.py)
and `patina demo` (patina/demo.py), command modules that do not import each other."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    done = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not done.wait(1.0):
        pass


#: Streamlit's own settings for the dashboard. Streamlit's menu, toolbar and error details
#: are in English only and not for museum staff: the menu is hidden ("minimal"), errors are
#: shown without traceback or search links (the pages say what went wrong in the user's
#: language). docs/languages.md lists the Streamlit texts that remain.
DASHBOARD_STREAMLIT_OPTIONS: tuple[tuple[str, str], ...] = (
    ("server.headless", "true"),
    ("browser.gatherUsageStats", "false"),
    ("client.toolbarMode", "minimal"),
    ("client.showErrorDetails", "none"),
    ("client.showErrorLinks", "false"),
)


def dashboard_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """Streamlit serving the dashboard; the config comes from PATINA_CONFIG."""
    options = [part for name, value in DASHBOARD_STREAMLIT_OPTIONS for part in (f"--{name}", value)]
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        *options,
    ]
