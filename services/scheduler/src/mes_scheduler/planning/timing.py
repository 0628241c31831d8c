"""Derive times from sequences: each operation starts as early as its predecessors allow.

The re-timing is incremental: it starts from the operations whose inputs changed and
stops wherever a recomputed slot equals the old one, so a change touches only its cone.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from mes_scheduler.planning.plan import Draft, Slot


def compute_slot(draft: Draft, op_id: str) -> Slot:
    """The slot of `op_id` given its predecessors' current slots."""
    wc = draft.slots[op_id].work_center
    seq = draft.sequences[wc]
    i = seq.index(op_id)
    prev = seq[i - 1] if i > 0 else None
    work = draft.work(op_id, wc, prev)
    avail = draft.availability[wc]
    if op_id in draft.started:
        start = draft.started[op_id]
        return Slot(wc, start, avail.finish(start, work))
    op = draft.operations[op_id]
    earliest = op.release
    pred, _ = draft.job_neighbours(op_id)
    if pred is not None:
        earliest = max(earliest, draft.slots[pred].end)
    if prev is not None:
        earliest = max(earliest, draft.slots[prev].end)
    if draft.is_frozen(op_id):
        earliest = max(earliest, draft.slots[op_id].start)
    else:
        earliest = max(earliest, draft.now + draft.plant.frozen_horizon)
    start, end = avail.place(earliest, work, op.interruptible)
    return Slot(wc, start, end)


class ConeTooLarge(Exception):
    """A trial re-timing touched more operations than allowed; `old` undoes it."""

    def __init__(self, old: dict[str, Slot]) -> None:
        super().__init__(len(old))
        self.old = old


def propagate(draft: Draft, seeds: Iterable[str], *, limit: int | None = None) -> dict[str, Slot]:
    """Re-time `seeds` and every successor whose slot changes; returns the old slots."""
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
        new = compute_slot(draft, op_id)
        if new == draft.slots[op_id]:
            continue
        old.setdefault(op_id, draft.slots[op_id])
        draft.touched.add(op_id)
        draft.slots[op_id] = new
        if limit is not None and len(old) > limit:
            raise ConeTooLarge(old)
        _, job_succ = draft.job_neighbours(op_id)
        _, mc_succ = draft.machine_neighbours(op_id)
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
