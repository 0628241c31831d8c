"""A thin client of the four services' public REST APIs, counting what it sent."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from typing import Any

import httpx

from mes_simulator.rest.tokens import Tokens

READ, ADMIN = "read", "admin"
ERP, QUALITY = "orders:write", "quality:write"


def terminal(center: str) -> str:
    """The scope of one work center's line terminal."""
    return f"terminal:{center}"


class ApiError(Exception):
    """A 4xx/5xx answer: status and the body's detail."""

    def __init__(self, status: int, method: str, url: str, detail: Any) -> None:
        super().__init__(f"{method} {url} -> {status}: {detail}")
        self.status = status
        self.detail = detail


class Api:
    """GET and POST on each service's client (its base URL set); transport errors are retried."""

    def __init__(
        self,
        clients: Mapping[str, httpx.AsyncClient],
        tokens: Tokens | None = None,
        *,
        retries: int = 5,
    ) -> None:
        self.clients = clients
        self.tokens = tokens or Tokens()
        self.retries = retries
        self.sent: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    async def _request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        key: str | None = None,
        if_match: str | None = None,
        scope: str = READ,
        **kw: Any,
    ) -> httpx.Response:
        headers = self.tokens.header(scope)
        if key:
            headers["Idempotency-Key"] = key
        if if_match is not None:
            headers["If-Match"] = if_match
        for attempt in range(self.retries + 1):
            try:
                return await self.clients[service].request(method, path, headers=headers, **kw)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                await asyncio.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")

    async def get(self, service: str, path: str, **params: Any) -> Any:
        response = await self._request("GET", service, path, params=params or None)
        if response.status_code >= 400:
            raise ApiError(response.status_code, "GET", path, _detail(response))
        return response.json()

    async def post(
        self,
        service: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        what: str = "",
        method: str = "POST",
        if_match: str | None = None,
        scope: str = ADMIN,
    ) -> Any:
        """POST (or `method`) as an actor holding `scope`; raises ApiError on 4xx/5xx.

        `what` names the command in the counters."""
        response = await self._request(
            method, service, path, key=key, if_match=if_match, scope=scope, json=body
        )
        name = what or f"{service} {path}"
        if response.status_code >= 400:
            self.refused[name] += 1
            raise ApiError(response.status_code, method, path, _detail(response))
        self.sent[name] += 1
        return response.json() if response.content else None

    async def wait_ready(self, services: list[str], timeout: float) -> list[str]:
        """Wait until each service's /readyz answers 200; returns those that never did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiting = list(services)
        while waiting and loop.time() < deadline:
            for service in list(waiting):
                try:
                    response = await self.clients[service].get("/readyz")
                    if response.status_code == 200:
                        waiting.remove(service)
                except httpx.TransportError:
                    pass
            if waiting:
                await asyncio.sleep(0.5)
        return waiting


def _detail(response: httpx.Response) -> Any:
    try:
        return response.json().get("detail", response.text)
    except ValueError:
        return response.text
