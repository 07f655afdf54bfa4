"""How to serve the dashboard: the command the CLI (`incident-lake dashboard`, `demo`) runs."""

from __future__ import annotations

import sys
from pathlib import Path

APP_PATH = Path(__file__).resolve().parent / "streamlit_app.py"


def streamlit_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """`streamlit run` for the app, bound to `host:port`, headless, without telemetry.

    Streamlit also reads `dashboards/.streamlit/config.toml` (the script-level config, whatever the
    working directory); the flags here win over it and pin what the CLI promises (loopback, the port).
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
