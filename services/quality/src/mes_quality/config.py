"""Settings of the quality service (environment variables prefixed QUALITY_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from mes_events.settings import ServiceSettings


class Settings(ServiceSettings):
    """Database, broker and HTTP settings of the quality service."""

    model_config = SettingsConfigDict(
        env_prefix="QUALITY_", env_nested_delimiter="__", extra="ignore"
    )

    service: str = "quality"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mes_quality"
    http_port: int = 8003
