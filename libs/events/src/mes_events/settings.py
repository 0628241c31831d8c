"""Settings shared by every service; each service subclasses ServiceSettings with its prefix."""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class KafkaSettings(BaseModel):
    """How a service talks to Kafka (or the embedded Kafka-protocol broker)."""

    bootstrap_servers: str = "127.0.0.1:9092"
    partitions: int = Field(3, ge=1, description="partitions of topics the relay creates")
    replication_factor: int = Field(1, ge=1)
    # Apache Kafka supports the idempotent producer; the embedded broker refuses
    # InitProducerId, so it is off by default and consumers' dedupe covers retried sends.
    enable_idempotence: bool = False
    linger_ms: int = Field(5, ge=0)
    max_batch_bytes: int = Field(1_048_576, ge=16_384)
    session_timeout_ms: int = Field(6_000, ge=1_000)
    heartbeat_interval_ms: int = Field(1_000, ge=100)
    fetch_max_wait_ms: int = Field(10, ge=0)
    max_attempts: int = Field(3, ge=1, description="handler attempts before a message goes to DLQ")


class ServiceSettings(BaseSettings):
    """Database, broker and HTTP settings; env vars like ORDERS_DATABASE_URL, ORDERS_KAFKA__…"""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    service: str = "events"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mes_events"
    kafka: KafkaSettings = KafkaSettings()
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    relay_batch_size: int = Field(1_000, ge=1)
