"""Settings shared by every service; each service subclasses ServiceSettings with its prefix."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    """How a service talks to Kafka (or the embedded Kafka-protocol broker)."""

    bootstrap_servers: str = "127.0.0.1:9092"
    partitions: int = Field(3, ge=1, description="partitions of topics the relay creates")
    replication_factor: int = Field(1, ge=1)
    # Apache Kafka supports the idempotent producer; the embedded broker refuses
    # InitProducerId, so it is off by default and consumers' dedupe covers retried sends.
    enable_idempotence: bool = False
    # How long the relay lets appends gather into one page (one batch per partition), and
    # other producers (dead letters) their sends. The embedded broker answers each fetch that
    # finds new data by listing every batch the partition holds, so fewer, larger batches
    # keep it going longer. bench/pipeline.py at 1,000 events/s (bench/PIPELINE.md): 10, 15
    # and 20 ms gave p99 35, 38 and 43 ms over 60 s; over 10 minutes, p99 per 10 s passed a
    # second after 6.8, 8.3 and 9.7 minutes, on 422, 338 and 226 s of broker CPU. Apache
    # Kafka deployments set 5 (docker-compose.yml, deploy/k8s).
    linger_ms: int = Field(20, ge=0)
    max_batch_bytes: int = Field(1_048_576, ge=16_384)
    session_timeout_ms: int = Field(6_000, ge=1_000)
    heartbeat_interval_ms: int = Field(1_000, ge=100)
    fetch_max_wait_ms: int = Field(10, ge=0)
    max_attempts: int = Field(3, ge=1, description="handler attempts before a message goes to DLQ")


class AuthSettings(BaseModel):
    """Bearer tokens of the API: HS256 JWTs signed with `signing_key` (mes_events.auth)."""

    enabled: bool = Field(True, description="false lets every request in as admin (tests only)")
    # RFC 7518 3.2: an HS256 key at least as long as the hash, 32 bytes.
    signing_key: SecretStr | None = Field(None, min_length=32)
    audience: str = Field("mes", min_length=1, description="the `aud` tokens must carry")


class ServiceSettings(BaseSettings):
    """Database, broker and HTTP settings; env vars like ORDERS_DATABASE_URL, ORDERS_KAFKA__…"""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    service: str = "events"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mes_events"
    kafka: KafkaSettings = KafkaSettings()
    auth: AuthSettings = AuthSettings()
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    relay_batch_size: int = Field(1_000, ge=1)
