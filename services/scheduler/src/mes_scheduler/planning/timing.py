"""Derive times from sequences: each operation starts as early as its predecessors allow.

The re-timing is incremental: it starts from the operations whose inputs changed and
stops wherever a recomputed slot equals the old one, so a change touches only its cone.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable

from mes_scheduler.planning.plan import Draft, Slot

PULL_LIMIT = 32
# Slot(...) without the NamedTuple's Python-level __new__: one frame less per re-timing.
_slot = tuple.__new__


def compute_slot(draft: Draft, op_id: str, *, hold: bool = False) -> Slot:
    """The slot of `op_id` given its predecessors' current slots.

    `hold` keeps the operation from starting earlier than it does now.
    """
    return _timer(draft)(op_id, hold, -1)[0]


Timing = Callable[[str, bool, int], tuple[Slot, str | None, str | None, int]]


def _timer(draft: Draft) -> Timing:
    """`timing(op_id, hold, at)`: the slot plus the job and machine successors and the
    operation's index in its sequence (found on the way, saved a second lookup), with the
    draft's lookups bound once per re-timing.

    `at` is that index when the caller knows it (-1 if not): a machine successor's is its
    predecessor's plus one, which saves searching the sequence for it. The draft's
    containers are mutated in place, never replaced, while a timer is in use.
    """
    # The hot loop of every repair: lookups are bound and inlined (Draft.work) on purpose.
    slots = draft.slots
    sequences = draft.sequences
    operations = draft.operations
    routing = draft.routing
    setups = draft.plant.family_setups
    last_family = draft.last_family
    orders = draft.orders
    run_cache = draft.run_cache
    efficiency = draft.efficiency
    availability = draft.availability
    started_at = draft.started
    fresh = draft.fresh
    base_slots = draft.base.slots
    horizon = draft.horizon

    def timing(op_id: str, hold: bool, at: int) -> tuple[Slot, str | None, str | None, int]:
        current = slots[op_id]
        wc = current.work_center
        seq = sequences[wc]
        i = at if at >= 0 and seq[at] is op_id else seq.index(op_id)
        prev = seq[i - 1] if i else None
        mc_succ = seq[i + 1] if i + 1 < len(seq) else None
        op = operations[op_id]
        route = routing[op.order_id]
        k = route.index(op_id)
        job_succ = route[k + 1] if k + 1 < len(route) else None
        if setups:
            family = operations[prev].family if prev is not None else last_family.get(wc)
            setup = op.setup if family is None else setups.get((family, op.family), op.setup)
        else:
            setup = op.setup
        qty = orders[op.order_id].quantity
        cached = run_cache.get((op_id, wc))
        if (
            cached is not None
            and cached[0] == op.per_unit
            and cached[1] == qty
            and cached[2] == efficiency[wc]
        ):
            work = setup + cached[3]
        else:
            work = setup + draft.run(op, wc)
        avail = availability[wc]
        started = started_at.get(op_id)
        if started is not None:
            return _slot(Slot, (wc, started, avail.finish(started, work))), job_succ, mc_succ, i
        earliest = op.release
        if k:
            end = slots[route[k - 1]].end
            if end > earliest:
                earliest = end
        if prev is not None:
            end = slots[prev].end
            if end > earliest:
                earliest = end
        if hold:
            floor = current.start
        else:
            # Draft.is_frozen inlined (not started, checked above).
            before = None if op_id in fresh else base_slots.get(op_id)
            floor = current.start if before is not None and before.start < horizon else horizon
        start, end = avail.place(earliest if earliest > floor else floor, work, op.interruptible)
        return _slot(Slot, (wc, start, end)), job_succ, mc_succ, i

    return timing


class ConeTooLarge(Exception):
    """A trial re-timing touched too many operations or cost too much; `old` undoes it."""

    def __init__(self, old: dict[str, Slot]) -> None:
        super().__init__(len(old))
        self.old = old


Watch = Callable[[str, Slot, Slot], bool]


def propagate(
    draft: Draft,
    seeds: Iterable[str],
    *,
    limit: int | None = None,
    pull: int = PULL_LIMIT,
    watch: Watch | None = None,
    absorb: list[str] | None = None,
    undone: bool = False,
) -> dict[str, Slot]:
    """Re-time `seeds` and every successor whose slot changes; returns the old slots.

    Pushes always propagate (feasibility needs them); at most `pull` operations move
    earlier, the rest hold their start, which bounds the cone of early completions.
    `watch(op, original, new)` sees every change and may abort a trial (ConeTooLarge).
    With `absorb`, unfrozen work that would be pushed later is left as it is and listed
    there instead (the caller re-inserts it), so the push stops at the frozen work.
    With `undone` (a trial the caller always undoes), the changes are not recorded in
    `draft.touched`: the repair's diff need not look at operations that end unchanged.
    """
    slots = draft.slots
    detached = draft.detached
    fresh = draft.fresh
    touched = draft.touched if not undone else set()
    # Entries are (start, op, index in its sequence or -1); queued ops are unique, so the
    # index never takes part in a comparison.
    heap: list[tuple[int, str, int]] = []
    queued: set[str] = set()
    for op_id in sorted(set(seeds)):
        if op_id in slots and op_id not in detached:
            heap.append((slots[op_id].start, op_id, -1))
            queued.add(op_id)
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    timing = _timer(draft)
    old: dict[str, Slot] = {}
    budget = 50 * (len(slots) + 10)
    while heap:
        budget -= 1
        if budget < 0:
            raise RuntimeError("re-timing does not converge: sequences contain a cycle")
        _, op_id, at = pop(heap)
        queued.discard(op_id)
        current = slots[op_id]
        new, job_succ, mc_succ, at = timing(op_id, False, at)
        if new.start < current.start and op_id not in fresh:
            if pull > 0:
                pull -= 1
            else:
                held = timing(op_id, True, at)
                # Holding the start while a new predecessor adds setup would push the
                # work behind it: only hold where the end does not move later.
                if held[0].end <= current.end:
                    new, job_succ, mc_succ, at = held
        if new == current:
            continue
        if absorb is not None and new.start > current.start and _absorbable(draft, op_id):
            absorb.append(op_id)
            continue
        original = old.setdefault(op_id, current)
        touched.add(op_id)
        slots[op_id] = new
        if limit is not None and len(old) > limit:
            raise ConeTooLarge(old)
        if watch is not None and watch(op_id, original, new):
            raise ConeTooLarge(old)
        # A routing successor may be detached or not sequenced yet (mid-insertion); a
        # machine successor is in a sequence, hence attached.
        if (
            job_succ is not None
            and job_succ not in queued
            and job_succ in slots
            and job_succ not in detached
        ):
            queued.add(job_succ)
            push(heap, (slots[job_succ].start, job_succ, -1))
        if mc_succ is not None and mc_succ not in queued:
            queued.add(mc_succ)
            push(heap, (slots[mc_succ].start, mc_succ, at + 1))
    return old


def _absorbable(draft: Draft, op_id: str) -> bool:
    return op_id not in draft.fresh and not draft.is_frozen(op_id)


def undo(draft: Draft, old: dict[str, Slot]) -> None:
    """Restore the slots a propagation overwrote."""
    draft.slots.update(old)


def retime_all(draft: Draft) -> None:
    """Recompute every slot in a topological order of the sequence/routing graph."""
    indegree: dict[str, int] = dict.fromkeys(draft.slots, 0)
    succs: dict[str, list[str]] = {op: [] for op in draft.slots}
    for chain in [*draft.routing.values(), *draft.sequences.values()]:
        for a, b in zip(chain, chain[1:], strict=False):
            succs[a].append(b)
            indegree[b] += 1
    ready = sorted(op for op, deg in indegree.items() if deg == 0)
    heapq.heapify(ready)
    done = 0
    timing = _timer(draft)
    while ready:
        op_id = heapq.heappop(ready)
        draft.slots[op_id] = timing(op_id, False, -1)[0]
        done += 1
        for succ in succs[op_id]:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                heapq.heappush(ready, succ)
    if done != len(indegree):
        raise ValueError("sequences contradict routings (cycle)")
