"""Service routers: token-checked routes, error answers documented, added to the app flat.

Why routes are added to the app rather than through `include_router`: since FastAPI 0.165 an
included router stays a wrapper that every request matches through, resolving its routes'
effective settings on the way: 96k-148k of the ~1,950k instructions of a create-order
(callgrind, in-process, one request at a time, three runs). Our routers carry their prefix
and their documented errors themselves, so there is nothing left for an inclusion to add.
"""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, FastAPI

from mes_events.auth import GuardedRoute
from mes_events.http_errors import ERROR_RESPONSES


def service_router(*, prefix: str = "", tags: list[str | Enum]) -> APIRouter:
    """A router of a service's API: every route checks tokens and documents the error answers."""
    return APIRouter(prefix=prefix, tags=tags, route_class=GuardedRoute, responses=ERROR_RESPONSES)


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Add `router`'s routes to `app` as its own."""
    app.router.routes.extend(router.routes)
