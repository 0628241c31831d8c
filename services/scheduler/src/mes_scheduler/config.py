"""Settings of the scheduler service (environment variables prefixed SCHEDULER_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from mes_events.catalog.common import DEFAULT_PLANT
from mes_events.settings import ServiceSettings
from mes_scheduler.domain.projection_rule import ProjectionRule


class Settings(ServiceSettings):
    """Database, broker and HTTP settings, plus the planning knobs of the scheduler."""

    model_config = SettingsConfigDict(
        env_prefix="SCHEDULER_", env_nested_delimiter="__", extra="ignore"
    )

    service: str = "scheduler"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/mes_scheduler"
    http_port: int = 8002
    plant_id: str = DEFAULT_PLANT
    frozen_horizon_minutes: int = Field(30, ge=0, description="planned work this close never moves")
    shortage_wait_minutes: int = Field(
        1440, ge=0, description="planned release of an operation whose material is short"
    )
    default_down_minutes: int = Field(
        240, ge=1, description="expected downtime when a breakdown is reported without one"
    )
    projection_tolerance_minutes: int = Field(
        15, ge=0, description="smallest move of a projected completion worth an OrderProjected"
    )
    projection_slack_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="and the smallest move as a share of the time between completion and due",
    )
    snapshot_every: int = Field(500, ge=1, description="plan inputs between two snapshots")
    improver_enabled: bool = True
    improver_seconds: float = Field(5.0, gt=0, description="time limit of one improver round")
    improver_workers: int = Field(1, ge=1, description="CP-SAT workers (threads)")
    improver_pause_seconds: float = Field(
        2.0, ge=0, description="pause between rounds when the plan did not change"
    )
    improver_max_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="most of the wall time the improver may search while events keep coming"
        " (after a round of t seconds it rests t x (1/share - 1)); 1 = rounds back to back",
    )
    # Checks every plan against the engine's feasibility checker before it is published (costly
    # at thousands of operations; on in the tests).
    verify_plans: bool = False

    @property
    def projection_rule(self) -> ProjectionRule:
        """When an order's moved projection is published (0 and 0: on every move)."""
        return ProjectionRule(self.projection_tolerance_minutes, self.projection_slack_share)

    @property
    def event_source(self) -> str:
        """CloudEvents source of our events: plants share mes.scheduler, and consumers track
        streams per source, so each plant's work-center streams need a source of their own."""
        if self.plant_id == DEFAULT_PLANT:
            return "mes/scheduler"
        return f"mes/plants/{self.plant_id}/scheduler"

    @property
    def planner_name(self) -> str:
        """The planner's consumer group (after the service prefix): one per plant, so plants'
        schedulers do not split the partitions between them; the default plant keeps its name."""
        return "planner" if self.plant_id == DEFAULT_PLANT else f"planner.{self.plant_id}"
