"""Settings of the inventory service (environment variables prefixed INVENTORY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from mes_events.settings import ServiceSettings


class Settings(ServiceSettings):
    """Database, broker and HTTP settings of the inventory service."""

    model_config = SettingsConfigDict(
        env_prefix="INVENTORY_", env_nested_delimiter="__", extra="ignore"
    )

    service: str = "inventory"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mes_inventory"
    http_port: int = 8004
