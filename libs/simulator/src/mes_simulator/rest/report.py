"""The end-of-run summary of a REST drive: what the services say, plus what the floor did."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from mes_scheduler.planning.calendar import Availability
from mes_simulator.rest.api import Api, ApiError
from mes_simulator.scenario import Scenario

if TYPE_CHECKING:
    from mes_simulator.rest.floor import Floor


@dataclass
class Report:
    """Orders by the orders service; OEE and scrap from the jobs the driver ran."""

    orders: int
    posted: int
    completed: int
    on_time: int
    lateness_h: list[float]
    oee: float
    scrap: int
    made: int
    commands: dict[str, int]
    refused: dict[str, int]
    open_reasons: dict[str, str] = field(default_factory=dict)
    unbalanced: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)  # from the services' /metrics

    def lines(self) -> list[str]:
        done = max(self.completed, 1)
        mean = sum(self.lateness_h) / len(self.lateness_h) if self.lateness_h else 0.0
        out = [
            f"orders: {self.posted}/{self.orders} posted, {self.completed} completed, "
            f"{100 * self.on_time / done:.1f}% on time, mean lateness {mean:.1f} h",
            f"OEE {100 * self.oee:.1f}%, scrap {self.scrap} of {self.made} pieces made",
            f"events processed: {self.events.get('stored', 0):.0f} stored, "
            f"{self.events.get('applied', 0):.0f} consumed, "
            f"{self.events.get('dead_letters', 0):.0f} dead letters (services' /metrics)",
            f"commands accepted: {sum(self.commands.values())} ("
            + ", ".join(f"{k} {v}" for k, v in sorted(self.commands.items()))
            + ")",
        ]
        if self.refused:
            out.append("refused: " + ", ".join(f"{k} {v}" for k, v in sorted(self.refused.items())))
        out += [f"still open {oid}: {why}" for oid, why in sorted(self.open_reasons.items())]
        out += [f"material balance broken: {m}" for m in self.unbalanced]
        out += self.problems
        return out


async def report(api: Api, floor: Floor, scenario: Scenario, now: float) -> Report:
    """Ask the orders and inventory services how things stand (best effort if they stop)."""
    calendar = Availability(scenario.calendar)
    planned = calendar.working_minutes(0, max(int(now), 1)) * len(scenario.centers)
    quality = floor.good / floor.made if floor.made else 0.0
    result = Report(
        orders=len(scenario.orders),
        posted=len(floor.orders),
        completed=0,
        on_time=0,
        lateness_h=[],
        oee=floor.ideal * quality / planned if planned else 0.0,
        scrap=floor.scrap,
        made=floor.made,
        commands=dict(api.sent),
        refused=dict(api.refused),
    )
    await _orders(api, floor, result)
    result.events = await event_counts(api)
    try:
        result.unbalanced = await unbalanced_materials(api)
    except (ApiError, httpx.HTTPError) as e:
        result.problems.append(f"material balance not checked, inventory did not answer: {e}")
    return result


async def all_orders(api: Api) -> list[dict[str, Any]]:
    """Every order the orders service knows, page by page."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = await api.get("orders", "/orders", **params)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


async def _orders(api: Api, floor: Floor, result: Report) -> None:
    try:
        listed = await all_orders(api)
    except (ApiError, httpx.HTTPError):
        # On Ctrl-C the services stop too: what the last poll saw is better than nothing.
        listed = floor.last_orders
        result.problems.append("orders as of the last poll: the orders service did not answer")
    mine = [o for o in listed if o["order_id"] in floor.orders]
    for order in mine:
        if order["status"] == "completed":
            result.completed += 1
            result.on_time += bool(order.get("on_time"))
            result.lateness_h.append(_hours(order["completed_at"]) - _hours(order["due_date"]))
    still_open = [o for o in mine if o["status"] not in ("completed", "cancelled")]
    for k, order in enumerate(still_open):
        result.open_reasons[order["order_id"]] = str(order["status"])
        if k < 20:  # details for the first few; the rest by status
            with contextlib.suppress(ApiError, httpx.HTTPError):
                detail = await api.get("orders", f"/orders/{order['order_id']}")
                result.open_reasons[order["order_id"]] = open_reason(detail)


def open_reason(order: dict[str, Any]) -> str:
    """Why an order is open, from its detail in the orders service."""
    short = [m["material_id"] for m in order.get("materials", []) if m.get("status") == "short"]
    if short:
        return f"{order['status']}: waiting for material {', '.join(short)}"
    for op in order.get("operations", []):
        if op["status"] != "completed":
            return f"{order['status']}: operation {op['seq']} {op['operation']} {op['status']}"
    if order["status"] == "short":
        good, scrap = order["good_quantity"], order["scrap_quantity"]
        return (
            f"short: every operation done, {good} of {order['quantity']} good ({scrap} scrapped);"
            " waits for a make-up or acceptance"
        )
    return str(order["status"])


async def unbalanced_materials(api: Api) -> list[str]:
    """Materials whose lots do not add up: received + adjusted - consumed != on hand."""
    broken = []
    for material in await api.get("inventory", "/materials"):
        detail = await api.get("inventory", f"/materials/{material['material_id']}")
        total = Decimal(0)
        for lot in detail.get("lots") or []:
            expected = (
                Decimal(lot["received"]) + Decimal(lot["adjusted"]) - Decimal(lot["consumed"])
            )
            total += Decimal(lot["on_hand"])
            if expected != Decimal(lot["on_hand"]) or Decimal(lot["on_hand"]) < 0:
                broken.append(f"{material['material_id']} lot {lot['lot_id']}")
        if total != Decimal(detail["on_hand"]):
            broken.append(f"{material['material_id']}: lots {total} != on hand {detail['on_hand']}")
    return broken


# Counter (without the _total suffix) -> the summary's name, and the samples it counts.
COUNTERS = {
    "mes_events_appended": ("stored", {}),
    "mes_consumer_messages": ("applied", {"outcome": "applied"}),
    "mes_consumer_dead_letters": ("dead_letters", {}),
}


async def event_counts(api: Api) -> dict[str, float]:
    """Events stored, consumed and dead-lettered, from every service's Prometheus /metrics.

    Samples are merged by name and labels with max, not summed: services in one process
    (the end-to-end test) share one registry, and each would report all of it.
    """
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for client in api.clients.values():
        try:
            text = (await client.get("/metrics")).text
        except httpx.HTTPError:
            continue
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if family.name in COUNTERS and sample.name.endswith("_total"):
                    key = (sample.name, tuple(sorted(sample.labels.items())))
                    samples[key] = max(samples.get(key, 0.0), sample.value)
    counts: dict[str, float] = {}
    for (name, labels), value in samples.items():
        summary, wanted = COUNTERS[name.removesuffix("_total")]
        if set(wanted.items()) <= set(labels):
            counts[summary] = counts.get(summary, 0.0) + value
    return counts


def _hours(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp() / 3600
