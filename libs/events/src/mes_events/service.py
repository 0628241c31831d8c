"""The runtime every service shares: migrations, relay, consumers and projections around an API.

A service builds one `ServiceRuntime` and one FastAPI app from it. By default one process runs
every role (the embedded default); `--role api|relay|consumer|projections` runs one role alone
to scale out, with the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mes_events import heap, json_body
from mes_events.auth import TokenVerifier, document_security, ensure_guarded
from mes_events.consumer import ConsumerRunner, Handler
from mes_events.db import make_engine, migrate
from mes_events.http_errors import install_error_handlers
from mes_events.http_limits import DEFAULT_MAX_BODY_BYTES, BodyLimit
from mes_events.logs import configure_logging
from mes_events.projection import Projection, ProjectionRunner
from mes_events.relay import Relay
from mes_events.request_context import RequestContext
from mes_events.routing import add_routes
from mes_events.settings import ServiceSettings
from mes_events.sse import mount_event_stream
from mes_events.sse import router as event_stream_router
from mes_events.store import EventStore
from mes_events.topics import topic_for_source
from mes_events.uow import UnitOfWork

log = structlog.get_logger("mes.service")

NO_FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


class Role(StrEnum):
    API = "api"
    RELAY = "relay"
    CONSUMER = "consumer"
    PROJECTIONS = "projections"


ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Subscription:
    """A consumer of other services' topics: its group name, topics and handler."""

    name: str
    topics: Sequence[str]
    handler: Handler


@dataclass
class ServiceRuntime:
    """A service's database, store and background roles, started and stopped together."""

    settings: ServiceSettings
    migrations: Path
    # Read at start(): handlers that need this runtime's store or unit of work are built after
    # it (`runtime.subscriptions = [...]`) and before the app starts.
    subscriptions: Sequence[Subscription] = ()
    projections: Sequence[Projection] = ()
    roles: frozenset[Role] = ALL_ROLES
    engine: AsyncEngine = field(init=False)
    store: EventStore = field(init=False)
    uow: UnitOfWork = field(init=False)
    ready: bool = field(default=False, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.settings.database_url, pool_size=20)
        self.store = EventStore(f"mes/{self.settings.service}")
        self.uow = UnitOfWork(self.engine)

    @property
    def topic(self) -> str:
        return topic_for_source(self.settings.service)

    async def start(self) -> None:
        """Migrate the database, then start the background roles this process runs."""
        await migrate(self.settings.database_url, self.migrations)
        kafka = self.settings.kafka
        if Role.RELAY in self.roles:
            relay = Relay(
                self.settings.service,
                self.topic,
                self.store,
                self.engine,
                kafka,
                batch_size=self.settings.relay_batch_size,
            )
            self._spawn(relay.run(self._stop))
        if Role.CONSUMER in self.roles:
            for sub in self.subscriptions:
                runner = ConsumerRunner(
                    f"{self.settings.service}.{sub.name}", sub.topics, sub.handler, self.uow, kafka
                )
                self._spawn(runner.run(self._stop))
        if Role.PROJECTIONS in self.roles and self.projections:
            self._spawn(ProjectionRunner(self.uow, self.store, self.projections).run(self._stop))
        self.ready = True
        log.info("service.started", service=self.settings.service, roles=sorted(self.roles))

    def _spawn(self, coro: Any) -> None:
        self._tasks.append(asyncio.create_task(coro))

    async def stop(self) -> None:
        self.ready = False
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=15)
        await self.uow.close()
        await self.engine.dispose()

    async def database_ok(self, *, timeout_s: float = 2.0) -> bool:
        """Whether a connection answers `SELECT 1` within `timeout_s` (a probe must not hang)."""
        try:
            async with asyncio.timeout(timeout_s), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


def build_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    routers: Sequence[Any] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The service's FastAPI app: its routers plus health, readiness, metrics, error mapping.

    Every router and the event stream sit behind bearer tokens (`mes_events.auth`); the
    probes and /metrics stay open. Each request gets its correlation id, trace and timing
    (`mes_events.request_context`); a body over `max_body_bytes` gets 413 unread, and a
    database out of reach 503 with Retry-After (`mes_events.http_errors`).
    """
    settings = runtime.settings
    verifier = TokenVerifier.from_settings(
        settings.auth, env_prefix=str(settings.model_config.get("env_prefix") or "")
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        # Everything alive after start-up (FastAPI, SQLAlchemy, Alembic, pydantic schemas):
        # under load a full collection walking it ran about every 0.9 s and stalled every
        # request in flight for 80-145 ms, the whole create-order p99 in bench/orders_api.py.
        heap.settle()
        try:
            yield
        finally:
            heap.unsettle()
            await event_tail.close()
            await runtime.stop()

    # Traces, metrics and logs are RequestContext's (W3C traceparent into the events,
    # Prometheus). FastAPI's own OpenTelemetry hooks, off, stop asking the global providers
    # on every request (2.7 % of a create-order's instructions, callgrind).
    app = FastAPI(title=title, lifespan=lifespan, telemetry=NO_FASTAPI_TELEMETRY)
    app.state.runtime = runtime
    app.state.token_verifier = verifier
    guarded = [*routers, event_stream_router]
    ensure_guarded(guarded)
    for router in routers:
        add_routes(app, router)
    event_tail = mount_event_stream(app, runtime.store, runtime.engine)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI builds the document once and keeps it; ours is added to it then.
        schema = app.openapi_schema
        if schema is None:
            schema = generate_openapi()
            document_security(schema, guarded)
            json_body.add_schemas(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented extension
    # Added first, so it runs inside RequestContext: a 413 still gets its correlation id and
    # is timed like any answer.
    app.add_middleware(BodyLimit, limit=max_body_bytes)
    app.add_middleware(RequestContext, service=settings.service)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        if not runtime.ready:
            return JSONResponse(status_code=503, content={"status": "starting"})
        if not await runtime.database_ok():
            return JSONResponse(status_code=503, content={"status": "database unavailable"})
        return JSONResponse(status_code=200, content={"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    install_error_handlers(app)
    return app


def serve(
    app_factory: Callable[[frozenset[Role]], FastAPI],
    settings: ServiceSettings,
    argv: Sequence[str] | None = None,
) -> None:
    """Command line of a service: run every role (default) or the ones named by --role."""
    import uvicorn

    parser = argparse.ArgumentParser(prog=f"python -m mes_{settings.service}")
    parser.add_argument(
        "--role",
        action="append",
        choices=[r.value for r in Role],
        help="run only these roles (repeatable); default: all",
    )
    args = parser.parse_args(argv)
    roles = frozenset(Role(r) for r in args.role) if args.role else ALL_ROLES
    configure_logging()
    app = app_factory(roles)
    if Role.API in roles:
        # uvloop and httptools: on the default loop the trivial endpoint fell from ~20,000 to
        # ~1,450 req/s here (issue 2's measurement).
        uvicorn.run(
            app,
            host=settings.http_host,
            port=settings.http_port,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            log_config=None,  # uvicorn's records go through configure_logging's JSON too
        )
        return

    async def background() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.Event().wait()

    import uvloop

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(background())
