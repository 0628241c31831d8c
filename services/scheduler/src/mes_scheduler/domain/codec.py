"""The planner state as JSON for snapshots, and the key that says which code wrote it.

A snapshot is disposable: its key hashes the planning engine's and the planner's source, so
after any change to either, the snapshot is ignored and the plan is rebuilt by replaying
every logged input through the current code.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from mes_scheduler.domain.plan_state import OpInfo, OrderInfo, PlanState, Projection
from mes_scheduler.domain.timeaxis import TimeAxis
from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.model import (
    Calendar,
    Operation,
    Order,
    Plant,
    Secondary,
    Window,
    WorkCenter,
)
from mes_scheduler.planning.plan import Plan, Slot

Json = dict[str, Any]
Pairs = list[list[Any]]


# Mappings travel as [key, value] pairs: JSONB reorders object keys, and the plan must come
# back with its dicts in the same order as before (iteration order is state too).
def _pairs(mapping: Any, value: Any = lambda v: v) -> Pairs:
    return [[k, value(v)] for k, v in mapping.items()]


def _schema_key() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("planning/*.py"), *root.glob("domain/*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:32]


SCHEMA_KEY = _schema_key()


def _windows(ws: tuple[Window, ...]) -> list[list[int]]:
    return [[w.start, w.end] for w in ws]


def _unwindows(raw: list[list[int]]) -> tuple[Window, ...]:
    return tuple(Window(a, b) for a, b in raw)


def _center(wc: WorkCenter) -> Json:
    c = wc.calendar
    calendar = [_windows(c.weekly), _windows(c.exceptions), _windows(c.downtime)]
    return {"id": wc.id, "group": wc.group, "efficiency": wc.efficiency, "calendar": calendar}


def _uncenter(raw: Json) -> WorkCenter:
    weekly, exceptions, downtime = (_unwindows(w) for w in raw["calendar"])
    calendar = Calendar(weekly, exceptions, downtime)
    return WorkCenter(raw["id"], raw["group"], raw["efficiency"], calendar)


def _op(o: Operation) -> list[Any]:
    return [o.id, o.order_id, o.group, o.per_unit, o.setup, o.family, o.interruptible, o.release]


def _unop(raw: list[Any]) -> Operation:
    return Operation(*raw)


def _plan(p: Plan) -> Json:
    plant = p.plant
    return {
        "plant": {
            "centers": [_center(wc) for wc in plant.work_centers],
            "family_setups": [[a, b, m] for (a, b), m in sorted(plant.family_setups.items())],
            "frozen_horizon": plant.frozen_horizon,
            "secondary": plant.secondary.value,
        },
        "orders": _pairs(
            p.orders, lambda o: [o.quantity, o.due, o.weight, list(map(_op, o.operations))]
        ),
        "operations": _pairs(p.operations, _op),
        "routing": _pairs(p.routing, list),
        "sequences": _pairs(p.sequences, list),
        "slots": _pairs(p.slots, list),
        "started": _pairs(p.started),
        "revision": p.revision,
        "last_family": _pairs(p.last_family),
    }


def _unplan(raw: Json) -> Plan:
    rp = raw["plant"]
    centers = tuple(_uncenter(c) for c in rp["centers"])
    plant = Plant(
        centers,
        {(a, b): m for a, b, m in rp["family_setups"]},
        rp["frozen_horizon"],
        Secondary(rp["secondary"]),
    )
    orders = {
        k: Order(k, q, due, w, tuple(_unop(x) for x in ops))
        for k, (q, due, w, ops) in raw["orders"]
    }
    return Plan(
        plant=plant,
        orders=orders,
        operations={k: _unop(v) for k, v in raw["operations"]},
        routing={k: tuple(v) for k, v in raw["routing"]},
        sequences={k: tuple(v) for k, v in raw["sequences"]},
        slots={k: Slot(*v) for k, v in raw["slots"]},
        started=dict(raw["started"]),
        availability={wc.id: Availability(wc.calendar) for wc in centers},
        revision=raw["revision"],
        last_family=dict(raw["last_family"]),
    )


def _opinfo(o: OpInfo) -> list[Any]:
    return [o.seq, o.op_id, o.operation, o.group, str(o.setup_minutes),
            str(o.run_minutes_per_unit), list(o.materials), o.rework, o.copy_of]  # fmt: skip


def _unopinfo(r: list[Any]) -> OpInfo:
    return OpInfo(r[0], r[1], r[2], r[3], Decimal(r[4]), Decimal(r[5]), tuple(r[6]), r[7], r[8])


def _order(i: OrderInfo) -> Json:
    return {
        "quantity": i.quantity,
        "due_at": i.due_at.isoformat(),
        "priority": i.priority,
        "routing": list(i.routing),
        "ops": [_opinfo(o) for o in i.ops.values()],
        "planned_quantity": i.planned_quantity,
        "status": i.status,
        "reason": i.reason,
    }


def _unorder(order_id: str, r: Json) -> OrderInfo:
    ops = {o.seq: o for o in map(_unopinfo, r["ops"])}
    due_at = datetime.fromisoformat(r["due_at"])
    routing = tuple(r["routing"])
    return OrderInfo(
        order_id, r["quantity"], due_at, r["priority"], routing, ops, r["planned_quantity"],
        r["status"], r["reason"],
    )  # fmt: skip


def encode(state: PlanState) -> Json:
    """The whole state as JSON-ready values."""
    return {
        "epoch": state.axis.epoch.isoformat(),
        "shortage_wait": state.shortage_wait,
        "now": state.now,
        "plan": _plan(state.plan),
        "orders": _pairs(state.orders, _order),
        "material": [
            [o, s, m, short, at.isoformat()] for (o, s, m), (short, at) in state.material.items()
        ],  # fmt: skip
        "done": sorted(state.done),
        "projected": _pairs(state.projected, lambda p: [p.completion, p.due_at.isoformat()]),
        "foreign": sorted(state.foreign),
    }


def decode(raw: Json) -> PlanState:
    """The state `encode` wrote."""
    return PlanState(
        axis=TimeAxis(datetime.fromisoformat(raw["epoch"])),
        plan=_unplan(raw["plan"]),
        shortage_wait=raw["shortage_wait"],
        now=raw["now"],
        orders={k: _unorder(k, v) for k, v in raw["orders"]},
        material={
            (o, s, m): (short, datetime.fromisoformat(at)) for o, s, m, short, at in raw["material"]
        },  # fmt: skip
        done=set(raw["done"]),
        projected={k: Projection(c, datetime.fromisoformat(d)) for k, (c, d) in raw["projected"]},
        foreign=set(raw["foreign"]),
    )
