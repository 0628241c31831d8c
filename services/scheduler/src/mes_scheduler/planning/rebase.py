"""Carry an improved plan over the events that arrived while it was computed.

The improver works on a copy of revision n; by the time it finishes, events have made the
plan revision n + k. Replaying those k events onto the improved plan (the repairs are
deterministic) gives the improvement as it would look now; `onto` then lays its machine
sequences over the current plan, keeping what has become frozen in the meantime exactly
as operators see it, and re-times everything with the exact timing rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from mes_scheduler.planning.events import Event, apply
from mes_scheduler.planning.plan import Draft, Plan, Slot
from mes_scheduler.planning.timing import retime_all


def replay(plan: Plan, events: Iterable[Event]) -> Plan:
    """`plan` after the repairs of `events`, in order."""
    for event in events:
        plan = apply(plan, event).plan
    return plan


def onto(current: Plan, improved: Plan, now: int) -> Plan | None:
    """`current` with the machine sequences of `improved`, its frozen work kept, re-timed.

    `improved` must hold the same open operations as `current` (the same events applied);
    None if it does not, or if its sequences contradict the current routings.
    """
    if improved.operations.keys() != current.operations.keys():
        return None
    draft = Draft(current, now)
    draft.resequenced = None
    frozen = {op for op in current.slots if current.is_frozen(op, now)}
    for wc in draft.sequences:
        kept = [op for op in current.sequences[wc] if op in frozen]
        moved = [op for op in improved.sequences.get(wc, ()) if op not in frozen]
        draft.sequences[wc] = kept + moved
        for op in moved:
            # Fresh: not frozen in the re-timing, so none starts inside the frozen horizon.
            draft.slots[op] = Slot(wc, -1, -1)
            draft.fresh.add(op)
    if not _consistent(draft, current):
        return None
    try:
        retime_all(draft)
    except ValueError:
        return None
    return draft.to_plan()


def _consistent(draft: Draft, current: Plan) -> bool:
    """Every open operation sequenced once, on a center of its group."""
    placed = [op for seq in draft.sequences.values() for op in seq]
    if len(placed) != len(current.operations) or set(placed) != current.operations.keys():
        return False
    groups = {wc.id: wc.group for wc in current.plant.work_centers}
    return all(
        groups.get(wc) == draft.operations[op].group
        for wc, seq in draft.sequences.items()
        for op in seq
    )
