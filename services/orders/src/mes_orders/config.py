"""Settings of the orders service (environment variables prefixed ORDERS_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from mes_events.settings import ServiceSettings


class Settings(ServiceSettings):
    """Database, broker and HTTP settings, plus the intake limits of the orders API."""

    model_config = SettingsConfigDict(
        env_prefix="ORDERS_", env_nested_delimiter="__", extra="ignore"
    )

    service: str = "orders"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mes_orders"
    http_port: int = 8001
    max_body_bytes: int = Field(1_048_576, ge=1_024, description="larger request bodies get 413")
    # Concurrent creates share transactions: up to `intake_batch_size` creates per transaction,
    # up to `intake_committers` transactions at once (each holds one database connection).
    # Few large transactions: the intake alone (32 callers) cost 135 us of Python and 173 us of
    # PostgreSQL CPU per create in batches of 8, 81 and 62 us in batches of 32. One committer
    # per process: two workers of bench/orders_api.py then commit 8.0 creates per transaction
    # instead of 5.5, and each create cost 421-474 us of server CPU and 132-150 us of
    # PostgreSQL instead of 535-620 and 194-216 (two alternating pairs of runs). More help
    # only where each commit waits on a network (deploy/k8s sets 4).
    intake_batch_size: int = Field(32, ge=1)
    intake_committers: int = Field(1, ge=1, le=10)
    # Under load (its last transaction held several creates), a committer waits up to
    # `intake_gather_ms` until `intake_gather_creates` are queued (0 ms: never waits).
    # bench/orders_api.py, two workers, four alternating runs: creates per transaction 13.4-13.6
    # instead of 8.0, 4,333-4,638 creates/s instead of 3,665-3,698, server CPU per create
    # 273-295 us instead of 339-340, PostgreSQL 93-97 instead of 123-124, p99 12.3-13.8 ms
    # instead of 13.8-14.2. Waiting a fixed 1 ms without the early start left the cores idle.
    intake_gather_ms: float = Field(1.0, ge=0, le=50)
    intake_gather_creates: int = Field(12, ge=2)
