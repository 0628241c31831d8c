"""The dashboard's FastAPI app: the page, its panels' data, and one merged event stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import anyio
import httpx
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sse_starlette import EventSourceResponse

from mes_dashboard import calendars, views
from mes_dashboard.config import SERVICES, Settings
from mes_dashboard.streams import MergedStream, decode_id, merged
from mes_dashboard.upstream import Reply, Upstream

STATIC = Path(__file__).resolve().parent / "static"
From = Annotated[datetime | None, Query(alias="from", description="default: 12 h ago")]
To = Annotated[datetime | None, Query(alias="to", description="default: 3 days after from")]

# The at-risk panel lists this many orders, worst first (one projection call each).
AT_RISK_SHOWN = 25
# KPIs cover this many days back; order KPIs read at most this many orders per status.
KPI_DAYS = 7
ORDERS_SCANNED = 5_000

router = APIRouter(prefix="/api")


def _upstream(request: Request) -> Upstream:
    upstream: Upstream = request.app.state.upstream
    return upstream


def _source(reply: Reply) -> dict[str, Any]:
    return {"available": reply.available, "error": reply.error}


def _now(request: Request) -> datetime:
    settings: Settings = request.app.state.settings
    return settings.now()


@router.get("/gantt")
async def gantt(
    request: Request,
    start: From = None,
    end: To = None,
    days: Annotated[float, Query(gt=0, le=60, description="window length without `to`")] = 3,
) -> dict[str, Any]:
    """The plan per work center between `from` and `to`, with downtime and non-working bands."""
    now = _now(request)
    start = start or now - timedelta(hours=12)
    end = end or start + timedelta(days=days)
    up = _upstream(request)
    params = {"from": start.isoformat(), "to": end.isoformat()}
    schedule, centers = await asyncio.gather(
        up.get("scheduler", "/schedule", params), up.get("scheduler", "/work-centers")
    )
    bars = views.gantt_operations(schedule.items())
    return {
        "source": _source(schedule if not schedule.ok else centers),
        "now": now.isoformat(),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "work_centers": views.work_center_rows(centers.items(), bars),
        "operations": bars,
        "downtime": views.downtime_bands(centers.items(), now),
        "non_working": calendars.non_working_bands(centers.items(), start, end),
    }


@router.get("/at-risk")
async def at_risk(request: Request) -> dict[str, Any]:
    """Orders projected late, how late, and why (material, machines, the plan's critical path)."""
    up = _upstream(request)
    orders, alerts, centers = await asyncio.gather(
        up.get("orders", "/orders/at-risk", {"limit": AT_RISK_SHOWN}),
        up.get("inventory", "/alerts"),
        up.get("scheduler", "/work-centers"),
    )
    ids = [str(o.get("order_id")) for o in orders.items()]
    projections = await asyncio.gather(
        *(up.get("scheduler", f"/orders/{order_id}/projection") for order_id in ids)
    )
    shortages = alerts.body.get("shortages", []) if alerts.ok else []
    rows = views.at_risk_rows(
        orders.items(),
        shortages,
        {i: p.body for i, p in zip(ids, projections, strict=True) if p.ok},
        views.downtime_bands(centers.items(), _now(request)),
    )
    return {
        "orders": rows,
        "sources": {"orders": _source(orders), "inventory": _source(alerts)},
    }


@router.get("/kpis")
async def kpis(request: Request) -> dict[str, Any]:
    """Headline KPIs, OEE per work center and the defect Pareto, over the last week."""
    up = _upstream(request)
    now = _now(request)
    since = now - timedelta(days=KPI_DAYS)
    window = {"from": since.isoformat(), "to": now.isoformat()}
    scheduler, quality, completed, in_progress = await asyncio.gather(
        up.get("scheduler", "/kpis", window),
        up.get("quality", "/kpis", {"since": since.isoformat()}),
        _all_orders(up, {"status": "completed", "due_after": (since - timedelta(days=30))}),
        _all_orders(up, {"status": "in_progress"}),
    )
    s_figures = views.scheduler_figures(scheduler.body if scheduler.ok else None)
    q_figures = views.quality_figures(quality.body if quality.ok else None)
    orders = completed[1].ok and in_progress[1].ok
    o_figures = (
        views.order_figures(completed[0], len(in_progress[0]), since, KPI_DAYS) if orders else {}
    )
    return {
        "tiles": views.kpi_tiles({**s_figures, **q_figures, **o_figures}),
        "oee": s_figures["oee"],
        "bottleneck": s_figures["bottleneck"],
        "pareto": q_figures["pareto"],
        "sources": {
            "orders": _source(completed[1]),
            "scheduler": _source(scheduler),
            "quality": _source(quality),
        },
    }


async def _all_orders(up: Upstream, filters: dict[str, Any]) -> tuple[list[Any], Reply]:
    """Orders matching `filters`, following the pages up to ORDERS_SCANNED; the last reply."""
    params: dict[str, Any] = {
        k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items()
    }
    params["limit"] = 500
    items: list[Any] = []
    while True:
        reply = await up.get("orders", "/orders", params)
        items.extend(reply.items())
        cursor = reply.body.get("next_cursor") if reply.ok else None
        if cursor is None or len(items) >= ORDERS_SCANNED:
            return items, reply
        params["cursor"] = cursor


@router.get("/spc-choices")
async def spc_choices(request: Request) -> dict[str, Any]:
    """(product, characteristic) pairs inspected lately, for the SPC chart's chooser."""
    reply = await _upstream(request).get("quality", "/inspections", {"limit": 500})
    rows = reply.body.get("inspections", []) if reply.ok else []
    pairs = {
        (str(r["product"]), str(c["name"]))
        for r in rows
        if r.get("product")
        for c in r.get("characteristics") or []
    }
    return {
        "source": _source(reply),
        "choices": [{"product": p, "characteristic": c} for p, c in sorted(pairs)],
    }


@router.get("/spc/{product}/{characteristic}")
async def spc(request: Request, product: str, characteristic: str) -> JSONResponse:
    """One characteristic's control chart, as the quality service computes it."""
    reply = await _upstream(request).get("quality", f"/spc/{product}/{characteristic}")
    return JSONResponse({"source": _source(reply), "chart": reply.body if reply.ok else None})


@router.get("/materials")
async def materials(request: Request) -> dict[str, Any]:
    """Shortages blocking orders and materials below their reorder point."""
    reply = await _upstream(request).get("inventory", "/alerts")
    body = reply.body if reply.ok and isinstance(reply.body, dict) else {}
    return {
        "source": _source(reply),
        "shortages": body.get("shortages", []),
        "below_reorder_point": body.get("below_reorder_point", []),
    }


@router.get("/services")
async def services(request: Request) -> dict[str, bool]:
    """Which services answer their health check."""
    up = _upstream(request)
    replies = await asyncio.gather(*(up.get(s, "/healthz") for s in SERVICES))
    return {r.service: r.ok for r in replies}


@router.get("/events")
async def events(
    request: Request,
    after: str | None = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """The four services' events as one stream, resumable with the merged Last-Event-ID."""
    settings: Settings = request.app.state.settings
    up = _upstream(request)
    cursors = decode_id(last_event_id if last_event_id is not None else after, SERVICES)
    stream, shutdown = MergedStream(), anyio.Event()
    messages = merged(
        request.app.state.stream_client,
        up.urls,
        cursors,
        stream,
        backlog=settings.stream_backlog,
        retry_s=settings.stream_retry_s,
    )
    return EventSourceResponse(
        messages,
        send_timeout=30,
        headers={"Cache-Control": "no-store"},
        shutdown_event=shutdown,
        shutdown_grace_period=2,
        # Runs beside the stream and is cancelled with it; not a sender of data here.
        data_sender_callable=partial(stream.end_on, shutdown),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The page at `/`, the panels' data under `/api`, the assets under `/static`."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.upstream = Upstream(settings)
        # Streams stay open; the services ping every 15 s, so a minute of silence means gone.
        app.state.stream_client = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=settings.request_timeout_s),
            headers=settings.auth_headers(),
        )
        try:
            yield
        finally:
            await app.state.stream_client.aclose()
            await app.state.upstream.close()

    app = FastAPI(title="MES dashboard", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/healthz", include_in_schema=False)
    @app.get("/readyz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
