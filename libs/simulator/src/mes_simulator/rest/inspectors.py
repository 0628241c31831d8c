"""Inspectors and the quality engineer: results for open inspections, dispositions for NCRs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from mes_simulator.catalog import Characteristic
from mes_simulator.outcomes import measurements, outcome, wear
from mes_simulator.rest import bodies
from mes_simulator.rest.api import QUALITY, ApiError
from mes_simulator.rest.floor import Context, say, step_of


async def quality(ctx: Context) -> None:
    """Measure every open inspection once; decide every open nonconformance once."""
    if not ctx.has("quality"):
        return
    try:
        page = await ctx.api.get("quality", "/inspections", status="open", limit=100)
        ncrs = await ctx.api.get("quality", "/ncrs", status="open", limit=100)
    except (ApiError, httpx.TransportError) as e:
        ctx.note_once(f"inspections unavailable: {e}")
        return
    for inspection in page.get("inspections", []):
        if inspection["inspection_id"] not in ctx.floor.inspected:
            await _inspect(ctx, inspection)
    for ncr in ncrs.get("ncrs", []):
        if ncr["ncr_id"] not in ctx.floor.decided:
            await _decide(ctx, ncr)


def _characteristic(c: dict[str, Any]) -> Characteristic:
    def number(name: str) -> Decimal:
        return Decimal(str(c[name]))

    return Characteristic(c["name"], number("nominal"), number("lower"), number("upper"), c["unit"])


async def _inspect(ctx: Context, inspection: dict[str, Any]) -> None:
    key = ctx.key(inspection["order_id"], int(inspection["operation_seq"]))
    chars = tuple(_characteristic(c) for c in inspection["characteristics"])
    settings = ctx.scenario.settings
    failed = outcome(settings, key, 1, inspected=True).inspection_failed
    drift = wear(settings, inspection.get("work_center_id") or "", ctx.clock.minutes())
    measured = measurements(
        settings, key, chars, inspection["sample_size"], failed=failed, drift=drift
    )
    units = {c.name: c.unit for c in chars}
    body = bodies.results_body(measured, units, "QC-1", ctx.clock())
    iid = inspection["inspection_id"]
    try:
        await ctx.api.post("quality", f"/inspections/{iid}/results", body,
                           key=f"{ctx.run_id}-{iid}", what="post inspection results",
                           scope=QUALITY)  # fmt: skip
    except ApiError as e:
        say(f"refused: {e}")
    ctx.floor.inspected.add(iid)


async def _decide(ctx: Context, ncr: dict[str, Any]) -> None:
    """Rework on the operation's group, or scrap when it was the last step (or unknown)."""
    order = ctx.floor.orders.get(ncr["order_id"])
    seq = int(ncr["operation_seq"])
    step = step_of(order, seq)
    last = order is not None and order.product.steps[-1].seq == seq
    if step is None or last:
        disposition: dict[str, Any] = {"kind": "scrap", "quantity": ncr["quantity"]}
    else:
        minutes = outcome(ctx.scenario.settings, ctx.key(ncr["order_id"], seq), 1,
                          inspected=True).rework_minutes  # fmt: skip
        rework = {"operation": "rework", "work_center_group": step.group, "minutes": minutes}
        disposition = {"kind": "rework", "operations": [rework]}
    body = {"disposition": disposition, "decided_by": "QE-1"}
    ncr_id = ncr["ncr_id"]
    try:
        await ctx.api.post("quality", f"/ncrs/{ncr_id}/disposition", body,
                           key=f"{ctx.run_id}-{ncr_id}", what="decide disposition",
                           scope=QUALITY)  # fmt: skip
    except ApiError as e:
        say(f"refused: {e}")
    ctx.floor.decided.add(ncr_id)
