"""Calls to the four services; a service that does not answer is a reply, not an error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from mes_dashboard.config import Settings

log = structlog.get_logger("mes.dashboard")

Params = Mapping[str, str | int | list[str]]


@dataclass(frozen=True, slots=True)
class Reply:
    """What one service said: its JSON body, or why there is none."""

    service: str
    status: int | None
    body: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def available(self) -> bool:
        """The service answered and offers the endpoint (a 404 of an unknown id still counts)."""
        return self.status is not None and self.status < 500 and not self.missing_route

    @property
    def missing_route(self) -> bool:
        return self.status == 404 and self.body == {"detail": "Not Found"}

    def items(self) -> list[Any]:
        """The body as a list (a bare list, or a page's `items`); [] when not ok."""
        if not self.ok:
            return []
        if isinstance(self.body, list):
            return self.body
        if isinstance(self.body, dict) and isinstance(self.body.get("items"), list):
            return list(self.body["items"])
        return []


class Upstream:
    """One HTTP client for every service the dashboard reads."""

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None):
        self.urls = settings.base_urls()
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.request_timeout_s),
            headers=settings.auth_headers(),
            transport=transport,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def get(self, service: str, path: str, params: Params | None = None) -> Reply:
        """GET `path` of `service`; never raises for an unreachable or failing service."""
        url = f"{self.urls[service]}{path}"
        try:
            response = await self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            log.info("upstream.unavailable", service=service, path=path, error=repr(exc))
            return Reply(service, None, error=f"{service} service unavailable")
        try:
            body = response.json()
        except ValueError:
            body = None
        error = None if response.is_success else _detail(service, response.status_code, body)
        return Reply(service, response.status_code, body, error)

    async def close(self) -> None:
        await self.client.aclose()


def _detail(service: str, status: int, body: Any) -> str:
    if status == 404 and body == {"detail": "Not Found"}:
        return f"{service} service does not offer this yet"
    detail = body.get("detail") if isinstance(body, dict) else None
    return f"{service}: {status} {detail if isinstance(detail, str) else ''}".strip()
