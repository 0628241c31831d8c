"""Derive times from sequences: each operation starts as early as its predecessors allow.

The re-timing is incremental: it starts from the operations whose inputs changed and
stops wherever a recomputed slot equals the old one, so a change touches only its cone.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from mes_scheduler.planning.plan import Draft, Slot

PULL_LIMIT = 32


def compute_slot(draft: Draft, op_id: str, *, hold: bool = False) -> Slot:
    """The slot of `op_id` given its predecessors' current slots.

    `hold` keeps the operation from starting earlier than it does now.
    """
    return _timing(draft, op_id, hold)[0]


def _timing(draft: Draft, op_id: str, hold: bool) -> tuple[Slot, str | None, str | None]:
    """Slot plus the job and machine successors (found on the way, saved a second lookup)."""
    current = draft.slots[op_id]
    wc = current.work_center
    seq = draft.sequences[wc]
    i = seq.index(op_id)
    prev = seq[i - 1] if i else None
    mc_succ = seq[i + 1] if i + 1 < len(seq) else None
    op = draft.operations[op_id]
    route = draft.routing[op.order_id]
    k = route.index(op_id)
    job_succ = route[k + 1] if k + 1 < len(route) else None
    work = draft.work(op_id, wc, prev)
    avail = draft.availability[wc]
    if op_id in draft.started:
        start = draft.started[op_id]
        return Slot(wc, start, avail.finish(start, work)), job_succ, mc_succ
    earliest = op.release
    if k:
        earliest = max(earliest, draft.slots[route[k - 1]].end)
    if prev is not None:
        earliest = max(earliest, draft.slots[prev].end)
    if hold or draft.is_frozen(op_id):
        earliest = max(earliest, current.start)
    else:
        earliest = max(earliest, draft.now + draft.plant.frozen_horizon)
    start, end = avail.place(earliest, work, op.interruptible)
    return Slot(wc, start, end), job_succ, mc_succ


class ConeTooLarge(Exception):
    """A trial re-timing touched more operations than allowed; `old` undoes it."""

    def __init__(self, old: dict[str, Slot]) -> None:
        super().__init__(len(old))
        self.old = old


def propagate(
    draft: Draft, seeds: Iterable[str], *, limit: int | None = None, pull: int = PULL_LIMIT
) -> dict[str, Slot]:
    """Re-time `seeds` and every successor whose slot changes; returns the old slots.

    Pushes always propagate (feasibility needs them); at most `pull` operations move
    earlier, the rest hold their start, which bounds the cone of early completions.
    """
    heap: list[tuple[int, str]] = []
    queued: set[str] = set()
    for op_id in sorted(set(seeds)):
        if _attached(draft, op_id):
            heap.append((draft.slots[op_id].start, op_id))
            queued.add(op_id)
    heapq.heapify(heap)
    old: dict[str, Slot] = {}
    budget = 50 * (len(draft.slots) + 10)
    while heap:
        budget -= 1
        if budget < 0:
            raise RuntimeError("re-timing does not converge: sequences contain a cycle")
        _, op_id = heapq.heappop(heap)
        queued.discard(op_id)
        current = draft.slots[op_id]
        new, job_succ, mc_succ = _timing(draft, op_id, False)
        if new.start < current.start and op_id not in draft.fresh:
            if pull <= 0:
                new, job_succ, mc_succ = _timing(draft, op_id, True)
            else:
                pull -= 1
        if new == current:
            continue
        old.setdefault(op_id, current)
        draft.touched.add(op_id)
        draft.slots[op_id] = new
        if limit is not None and len(old) > limit:
            raise ConeTooLarge(old)
        for succ in (job_succ, mc_succ):
            if succ is not None and succ not in queued and _attached(draft, succ):
                queued.add(succ)
                heapq.heappush(heap, (draft.slots[succ].start, succ))
    return old


def _attached(draft: Draft, op_id: str) -> bool:
    return op_id in draft.slots and op_id not in draft.detached


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
    while ready:
        op_id = heapq.heappop(ready)
        draft.slots[op_id] = compute_slot(draft, op_id)
        done += 1
        for succ in succs[op_id]:
            indegree[succ] -= 1
            if indegree[succ] == 0:
                heapq.heappush(ready, succ)
    if done != len(indegree):
        raise ValueError("sequences contradict routings (cycle)")
