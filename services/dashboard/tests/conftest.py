"""Fixtures: a running system (each existing service in its own process) and the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mes_dashboard.testing import RunningSystem, running_system
from mes_events.settings import KafkaSettings

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
async def system(pg_server_url: str, kafka_settings: KafkaSettings) -> AsyncIterator[RunningSystem]:
    """Shared by the dashboard's modules: starting it costs seconds per service."""
    async with running_system(
        pg_server_url, kafka_settings.bootstrap_servers, ARTIFACTS / "logs"
    ) as running:
        yield running
