"""The real system on loopback for bench/load_pipeline.py, started the way `make up` starts it.

`mes_events.devstack` starts each service (one process each, the services migrating their own
databases); here every service gets a free port and a database of its own on the shared server,
named after the run, so a run never meets another run's data or another `make up`'s ports.
Auth is on: every API checks tokens signed with the test key (`mes_events.testing.auth`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from mes_events import devstack, topics
from mes_events.db import drop_database, with_database
from mes_events.embedded import EmbeddedBroker, free_port
from mes_events.kafka import ensure_topics
from mes_events.settings import KafkaSettings
from mes_events.testing.auth import TEST_SIGNING_KEY
from mes_events.testing.benchdb import server_url

ALL_TOPICS = (topics.ORDERS, topics.INVENTORY, topics.SCHEDULER, topics.QUALITY)


@dataclass
class Stack:
    """Where the running system answers, and what to clean up."""

    kafka: KafkaSettings
    urls: dict[str, str]  # orders, scheduler, quality, inventory, dashboard
    databases: dict[str, str]  # service -> database URL
    log_dir: Path


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr file descriptors to `path` meanwhile.

    devstack's services inherit the starting process's output; their JSON logs belong in a
    file, not among the benchmark's numbers.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _environment(urls: dict[str, str], improver: bool) -> None:
    os.environ.pop("MES_CLOCK_EPOCH", None)  # wall-clock time, not the simulator's warp
    os.environ["MES_AUTH_SIGNING_KEY"] = TEST_SIGNING_KEY
    with contextlib.redirect_stdout(io.StringIO()):  # devstack prints a token per role
        os.environ.update(devstack.auth_env())
    os.environ.update({f"DASHBOARD_{s.upper()}_URL": u for s, u in urls.items()})
    os.environ["SCHEDULER_IMPROVER_ENABLED"] = str(improver).lower()


@contextlib.contextmanager
def running_stack(log_dir: Path, *, improver: bool = True) -> Iterator[Stack]:
    """The broker, then devstack's services and dashboard; all stopped and dropped on exit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    server = server_url()
    services = [
        replace(s, name=f"{s.name}_load_{tag}", port=free_port()) for s in devstack.SERVICES
    ]
    urls = {s.module.removeprefix("mes_"): f"http://127.0.0.1:{s.port}" for s in services}
    broker = EmbeddedBroker(log_path=log_dir / "broker.log").start()
    kafka = broker.kafka_settings()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        asyncio.run(ensure_topics(kafka, *ALL_TOPICS))
        _environment({k: v for k, v in urls.items() if k != "dashboard"}, improver)
        with output_to(log_dir / "services.log"):
            for service in services:
                processes.append(devstack.start_service(service, server, kafka.bootstrap_servers))
        databases = {
            s.module.removeprefix("mes_"): with_database(server, f"mes_{s.name}")
            for s in services
            if s.database
        }
        yield Stack(kafka, urls, databases, log_dir)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        broker.stop()
        for s in services:
            if s.database:
                asyncio.run(drop_database(server, f"mes_{s.name}"))
