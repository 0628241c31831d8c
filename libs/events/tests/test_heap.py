"""heap.settle: what is alive leaves the collector's generations; unsettle gives it back."""

from __future__ import annotations

import gc

from mes_events import heap


def _tracked(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_settle_takes_live_objects_out_of_collections_and_unsettle_returns_them() -> None:
    plan = [{"operation": i} for i in range(100)]  # containers the collector tracks
    assert _tracked(plan)
    heap.settle()
    try:
        assert gc.get_freeze_count() >= len(plan)
        assert not _tracked(plan)
        later = [{"operation": -1}]
        assert _tracked(later), "objects made after settling are collected as usual"
    finally:
        heap.unsettle()
    assert _tracked(plan)
    assert gc.get_freeze_count() == 0
