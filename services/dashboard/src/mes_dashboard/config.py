"""Settings of the dashboard (environment variables prefixed DASHBOARD_)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("orders", "scheduler", "quality", "inventory")


class Settings(BaseSettings):
    """Where the dashboard listens and where the four services answer."""

    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    orders_url: str = "http://127.0.0.1:8001"
    scheduler_url: str = "http://127.0.0.1:8002"
    quality_url: str = "http://127.0.0.1:8003"
    inventory_url: str = "http://127.0.0.1:8004"
    request_timeout_s: float = Field(3.0, gt=0, description="per call to a service")
    stream_backlog: int = Field(
        50, ge=0, le=1000, description="events per service a new page starts with (live feed)"
    )
    stream_retry_s: float = Field(2.0, gt=0, description="pause before reconnecting a stream")
    # The services' APIs want a bearer token; the dashboard only reads, so a `read` token.
    # The page itself asks the browser for none: it shows what this token may read.
    token: SecretStr | None = Field(None, description="bearer token sent to every service")

    # Plant time, when the simulator runs the services on a faster clock: the same variables
    # the services read (libs/simulator's warp), so the now-line and windows match the plan.
    clock_epoch: datetime | None = Field(None, validation_alias="MES_CLOCK_EPOCH")
    clock_speed: float = Field(1.0, gt=0, validation_alias="MES_CLOCK_SPEED")
    clock_wall_start: float = Field(
        default_factory=time.time, validation_alias="MES_CLOCK_WALL_START"
    )

    def now(self) -> datetime:
        """Plant time: wall time unless MES_CLOCK_EPOCH says the plant runs on a warped clock."""
        if self.clock_epoch is None:
            return datetime.now(UTC)
        elapsed = (time.time() - self.clock_wall_start) * self.clock_speed
        return self.clock_epoch + timedelta(seconds=elapsed)

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header for the services, when a token is set."""
        if self.token is None:
            return {}
        return {"Authorization": f"Bearer {self.token.get_secret_value()}"}

    def base_urls(self) -> dict[str, str]:
        """Each service's base URL, without a trailing slash."""
        return {name: str(getattr(self, f"{name}_url")).rstrip("/") for name in SERVICES}
