"""The four domain services' apps, built the same way for every reliability test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI

import mes_inventory.config
import mes_inventory.entrypoints.api.app
import mes_orders.config
import mes_orders.entrypoints.api.app
import mes_quality.config
import mes_quality.entrypoints.api.app
import mes_scheduler.config
import mes_scheduler.entrypoints.api.app
from mes_events.service import Role
from mes_events.settings import KafkaSettings, ServiceSettings
from mes_events.testing.auth import auth_settings


@dataclass(frozen=True)
class Service:
    """How to build one service's app: its factory, settings class and migrations."""

    name: str
    create_app: Callable[..., FastAPI]
    settings: type[ServiceSettings]
    migrations: Path

    def app(
        self,
        database_url: str,
        *,
        roles: frozenset[Role] = frozenset({Role.API}),
        kafka: KafkaSettings | None = None,
        signing_key: str | None = None,
        clock: Any = None,
    ) -> FastAPI:
        """The app on `database_url`; the API role alone by default.

        It accepts the test tokens, or those signed with `signing_key`; `clock` replaces the
        system clock (each service has its own clock type).
        """
        auth = auth_settings() if signing_key is None else {"signing_key": signing_key}
        settings = self.settings(
            database_url=database_url, kafka=kafka or KafkaSettings(), auth=auth
        )
        if clock is None:
            return self.create_app(roles, settings=settings)
        return self.create_app(roles, settings=settings, clock=clock)


SERVICES = {
    s.name: s
    for s in (
        Service(
            "orders",
            mes_orders.entrypoints.api.app.create_app,
            mes_orders.config.Settings,
            mes_orders.entrypoints.api.app.MIGRATIONS,
        ),
        Service(
            "scheduler",
            mes_scheduler.entrypoints.api.app.create_app,
            mes_scheduler.config.Settings,
            mes_scheduler.entrypoints.api.app.MIGRATIONS,
        ),
        Service(
            "quality",
            mes_quality.entrypoints.api.app.create_app,
            mes_quality.config.Settings,
            mes_quality.entrypoints.api.app.MIGRATIONS,
        ),
        Service(
            "inventory",
            mes_inventory.entrypoints.api.app.create_app,
            mes_inventory.config.Settings,
            mes_inventory.entrypoints.api.app.MIGRATIONS,
        ),
    )
}
