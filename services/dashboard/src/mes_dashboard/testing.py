"""A running system for the dashboard's tests: each service that exists, in its own process.

Each service gets a fresh database on the test server, the test broker and a free port; the
dashboard points at all four (a service that does not exist or fails to start is simply
unreachable, as in a partial deployment). Logs go to `log_dir`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mes_dashboard.config import SERVICES

PREFIXES = {s: f"{s.upper()}_" for s in SERVICES}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def runnable(service: str) -> bool:
    """Whether the service has an entry point in this checkout."""
    return importlib.util.find_spec(f"mes_{service}.__main__") is not None


@dataclass
class RunningSystem:
    """Base URLs of the services that answer, and of the dashboard."""

    urls: dict[str, str]
    dashboard: str
    up: set[str] = field(default_factory=set)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def running(self, service: str) -> bool:
        return service in self.up


async def _ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while asyncio.get_running_loop().time() < deadline:
            if process.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return True
            await asyncio.sleep(0.2)
    return False


def _start(module: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT
        )


@contextlib.asynccontextmanager
async def running_system(
    server_url: str,
    bootstrap: str,
    log_dir: Path,
    *,
    services: Sequence[str] = SERVICES,
    startup_timeout: float = 90,
) -> AsyncIterator[RunningSystem]:
    """Start the services that exist and the dashboard; stop them and drop their databases."""
    from mes_events.db import create_database, drop_database

    log_dir.mkdir(parents=True, exist_ok=True)
    urls = {s: f"http://127.0.0.1:{free_port()}" for s in SERVICES}
    system = RunningSystem(urls, f"http://127.0.0.1:{free_port()}")
    databases: list[str] = []
    started: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for service in (s for s in services if runnable(s)):
            name = f"t_dash_{service}_{uuid.uuid4().hex[:8]}"
            prefix = PREFIXES[service]
            env = {
                **os.environ,
                f"{prefix}DATABASE_URL": await create_database(server_url, name),
                f"{prefix}KAFKA__BOOTSTRAP_SERVERS": bootstrap,
                f"{prefix}HTTP_PORT": urls[service].rsplit(":", 1)[1],
                # What these tests check is the dashboard, not the services' tokens.
                f"{prefix}AUTH__ENABLED": "false",
            }
            databases.append(name)
            started[service] = _start(f"mes_{service}", env, log_dir / f"{service}.log")
        dash_env = {
            **os.environ,
            **{f"DASHBOARD_{s.upper()}_URL": url for s, url in urls.items()},
            "DASHBOARD_HTTP_PORT": system.dashboard.rsplit(":", 1)[1],
            "DASHBOARD_STREAM_RETRY_S": "0.5",
        }
        started["dashboard"] = _start("mes_dashboard", dash_env, log_dir / "dashboard.log")
        system.processes = list(started.values())
        readiness = await asyncio.gather(
            *(
                _ready(system.dashboard if s == "dashboard" else urls[s], p, startup_timeout)
                for s, p in started.items()
            )
        )
        system.up = {s for s, ok in zip(started, readiness, strict=True) if ok}
        if "dashboard" not in system.up:
            raise RuntimeError(f"the dashboard did not start; see {log_dir / 'dashboard.log'}")
        yield system
    finally:
        for process in started.values():
            process.terminate()
        for process in started.values():
            try:
                process.wait(timeout=5)  # a test system need not drain politely
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for name in databases:
            with contextlib.suppress(Exception):
                await drop_database(server_url, name)
