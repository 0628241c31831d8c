"""`make up`: the embedded default — PostgreSQL and the Kafka-protocol broker, then the services.

Each service's issue adds its entry to SERVICES; the stack starts what exists. The broker is
memory-only, so every `up` starts an empty one: relays see a new cluster id and republish
from their stores, and consumers' dedupe makes the replay harmless.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from mes_events.auth import mint_token
from mes_events.embedded import (
    TOPIC_PARTITIONS,
    EmbeddedBroker,
    port_open,
    start_embedded_postgres,
    stop_embedded_postgres,
)

DATA_DIR = Path(os.environ.get("MES_DATA_DIR", ".data")).resolve()


@dataclass(frozen=True)
class Service:
    """One service process of the stack: its name, module, HTTP port and env prefix."""

    name: str
    module: str
    port: int
    env_prefix: str
    database: bool = True  # the dashboard keeps no data of its own


# A service runs when its package has an entry point (`mes_<name>/__main__.py`).
ALL_SERVICES: tuple[Service, ...] = (
    Service("orders", "mes_orders", 8001, "ORDERS_"),
    Service("scheduler", "mes_scheduler", 8002, "SCHEDULER_"),
    Service("quality", "mes_quality", 8003, "QUALITY_"),
    Service("inventory", "mes_inventory", 8004, "INVENTORY_"),
    Service("dashboard", "mes_dashboard", 8080, "DASHBOARD_", database=False),
)


def _runnable(service: Service) -> bool:
    return importlib.util.find_spec(f"{service.module}.__main__") is not None


SERVICES = tuple(s for s in ALL_SERVICES if _runnable(s))


def say(message: str) -> None:
    print(f"[mes] {message}", flush=True)  # noqa: T201 - this is a console program


# One development token per role, printed at start (mes_events.auth lists the scopes).
DEV_TOKENS = (
    ("erp", "orders:write"),
    ("terminal SAW-1", "terminal:SAW-1"),
    ("inspector", "quality:write"),
    ("manager", "admin"),
    ("dashboard", "read"),
)
DEV_TOKEN_LIFETIME = timedelta(days=30)


def auth_env() -> dict[str, str]:
    """Every API's signing key, and the dashboard's read token; prints a token per role.

    The key is made once and kept in the data directory, so printed tokens outlive a restart
    (`make reset` forgets it); MES_AUTH_SIGNING_KEY overrides it.
    """
    key_file = DATA_DIR / "signing-key"
    if not os.environ.get("MES_AUTH_SIGNING_KEY") and not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    key = os.environ.get("MES_AUTH_SIGNING_KEY") or key_file.read_text().strip()
    tokens = {
        scope: mint_token(key, [scope], subject=who, expires_in=DEV_TOKEN_LIFETIME)
        for who, scope in DEV_TOKENS
    }
    say("development tokens (30 days; `uv run mes-events token --scope <scope>` mints others):")
    for scope, token in tokens.items():
        say(f"  {scope:<15} {token}")
    env = {f"{s.env_prefix}AUTH__SIGNING_KEY": key for s in ALL_SERVICES if s.database}
    return env | {"MES_AUTH_SIGNING_KEY": key, "DASHBOARD_TOKEN": tokens["read"]}


# Ctrl-C, `kill`, and the terminal closing.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def up(broker_port: int) -> int:
    """Start everything and wait for Ctrl-C; returns the exit code."""
    # Ctrl-C signals the terminal's whole foreground process group at once. Sharing it, the
    # broker, the services and the simulator would all stop together: the services lose the
    # broker mid-shutdown (a burst of connection errors) and the simulator's summary finds no
    # service to ask. So the stack runs in a process group of its own, hears Ctrl-C once,
    # from here, and stops in order: simulator, services, broker, database.
    command = [sys.executable, "-m", "mes_events.devstack", "stack", f"--broker-port={broker_port}"]
    return run_in_own_group(command)


def run_in_own_group(command: list[str]) -> int:
    """Run `command` in a new process group, passing it each stop signal once; its exit code."""
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    for sig in STOP_SIGNALS:
        signal.signal(sig, forward)
    children.append(subprocess.Popen(command, process_group=0))
    return children[0].wait()


def stack(broker_port: int) -> int:
    """The stack itself (in the process group `up` made): start it, run it, stop it in order."""
    parent = os.getppid()
    stop_requested: list[int] = []
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda signum, _frame: stop_requested.append(signum))
    database = os.environ.get("MES_DATABASE_URL")
    if database is None:
        database = start_embedded_postgres(DATA_DIR / "postgres")
        say(f"PostgreSQL 18 (embedded, data in {DATA_DIR / 'postgres'}): {database}")
    else:
        say(f"PostgreSQL (from MES_DATABASE_URL): {database}")
    if port_open("127.0.0.1", broker_port):
        say(f"port {broker_port} is taken: is another `make up` running?")
        return 1
    broker = EmbeddedBroker(port=broker_port, log_path=DATA_DIR / "broker.log")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    broker.start()
    say(f"Kafka-protocol broker (Tansu, memory only): {broker.bootstrap_servers}")
    os.environ.update(plant_clock())
    os.environ.update(auth_env())
    processes: list[subprocess.Popen[bytes]] = []
    simulator = None
    try:
        processes = [start_service(s, database, broker.bootstrap_servers) for s in SERVICES]
        if not processes:
            say("no services yet: the broker and the database are up")
        simulator = start_simulator()
        say("Ctrl-C stops the stack")
        wait_for_stop(processes, stop_requested, parent)
    finally:
        first = "the simulator, then " if simulator is not None else ""
        say(f"stopping: {first}the services, the broker and the database")
        stop_simulator(simulator)
        stop_processes(processes, grace=15)
        broker.stop()
        if os.environ.get("MES_DATABASE_URL") is None:
            stop_embedded_postgres(DATA_DIR / "postgres")
        say("stopped")
    return 0


def wait_for_stop(
    processes: list[subprocess.Popen[bytes]], stop_requested: list[int], parent: int
) -> None:
    """Until a stop signal, `up` going away, or a service exiting."""
    while not stop_requested:
        if os.getppid() != parent:
            say("`make up` is gone; stopping")
            return
        for service, process in zip(SERVICES, processes, strict=True):
            if process.poll() is not None:
                say(f"{service.name} exited with {process.returncode}; stopping")
                return
        time.sleep(0.5)


def stop_processes(processes: list[subprocess.Popen[bytes]], *, grace: float) -> None:
    """Ask every process to stop (SIGTERM), and kill those still running after `grace` s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def start_service(service: Service, database: str, bootstrap: str) -> subprocess.Popen[bytes]:
    import asyncio

    from mes_events.db import create_database

    env = {
        **os.environ,
        f"{service.env_prefix}KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        f"{service.env_prefix}KAFKA__PARTITIONS": str(TOPIC_PARTITIONS),
        f"{service.env_prefix}HTTP_PORT": str(service.port),
    }
    if service.database:
        # Each service owns its database on the shared server; the service migrates it on start.
        url = asyncio.run(create_database(database, f"mes_{service.name}"))
        env[f"{service.env_prefix}DATABASE_URL"] = url
    say(f"{service.name}: http://127.0.0.1:{service.port}")
    warp = ["mes_simulator.warp"] if "MES_CLOCK_EPOCH" in env else []  # a faster plant clock
    return subprocess.Popen([sys.executable, "-m", *warp, service.module], env=env)


def plant_clock() -> dict[str, str]:
    """A faster plant clock for the services when the simulator runs (MES_SIMULATE=0: off)."""
    if os.environ.get("MES_SIMULATE", "1") == "0" or not importlib.util.find_spec("mes_simulator"):
        return {}
    from mes_simulator.stack import clock_env  # an optional workspace member

    return clock_env()


def start_simulator() -> subprocess.Popen[bytes] | None:
    """The factory simulator driving the services over REST, on the same plant clock."""
    if "MES_CLOCK_EPOCH" not in os.environ:
        return None
    from mes_simulator.stack import simulator_command

    say(f"factory simulator: plant time x{os.environ['MES_CLOCK_SPEED']} (MES_SIMULATE=0: off)")
    return subprocess.Popen(simulator_command(), env=os.environ.copy())


def stop_simulator(simulator: subprocess.Popen[bytes] | None) -> None:
    """Stop it before the services, so its summary can still ask them."""
    if simulator is not None:
        simulator.terminate()
        try:
            simulator.wait(timeout=20)
        except subprocess.TimeoutExpired:
            simulator.kill()


def reset() -> int:
    """Forget all local data (database and logs); the next `up` starts empty."""
    stop_embedded_postgres(DATA_DIR / "postgres")
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    say(f"removed {DATA_DIR}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mes_events.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    up_cmd = sub.add_parser("up", help="start the stack on the embedded default")
    up_cmd.add_argument(
        "--broker-port", type=int, default=int(os.environ.get("MES_BROKER_PORT", "9092"))
    )
    sub.add_parser("reset", help="remove local data")
    # What `up` runs in a process group of its own; not meant to be called by hand.
    stack_cmd = sub.add_parser("stack")
    stack_cmd.add_argument("--broker-port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "stack":
        return stack(args.broker_port)
    return up(args.broker_port) if args.command == "up" else reset()


if __name__ == "__main__":
    sys.exit(main())
