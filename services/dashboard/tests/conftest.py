"""Fixtures: a running system (each existing service in its own process) and the dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mes_dashboard.testing import RunningSystem, running_system
from mes_events.embedded import EmbeddedBroker

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="session")
async def system(pg_server_url: str) -> AsyncIterator[RunningSystem]:
    """Shared by the dashboard's modules: starting it costs seconds per service.

    On a broker of its own: the system publishes thousands of events under the services'
    topic names, which other packages' tests must not have to read through.
    """
    with EmbeddedBroker() as broker:
        async with running_system(
            pg_server_url, broker.bootstrap_servers, ARTIFACTS / "logs"
        ) as running:
            yield running
