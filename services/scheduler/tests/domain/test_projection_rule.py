"""Which moves of an order's projected completion are published (OrderProjected)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mes_scheduler.domain.plan_state import Projection
from mes_scheduler.domain.projection_rule import (
    EVERY_MOVE,
    ProjectionRule,
    is_late,
    threshold,
    worth_publishing,
)
from mes_scheduler.domain.timeaxis import TimeAxis

AXIS = TimeAxis(datetime(2026, 11, 23, tzinfo=UTC))
DUE = AXIS.at(1_000)  # due at minute 1,000
RULE = ProjectionRule(tolerance_minutes=15, slack_share=0.1)


def at(minute: int, due: datetime = DUE) -> Projection:
    return Projection(minute, due)


def test_a_first_projection_is_published_and_an_unchanged_one_is_not() -> None:
    assert worth_publishing(None, at(900), RULE, AXIS)
    assert not worth_publishing(at(900), at(900), RULE, AXIS, about=True)


def test_a_move_below_the_tolerance_is_not_published_and_one_at_it_is() -> None:
    # 50 minutes before due: the slack share asks 5 minutes, the tolerance 15.
    assert threshold(at(950), RULE, AXIS) == 15
    assert not worth_publishing(at(950), at(936), RULE, AXIS)
    assert not worth_publishing(at(950), at(964), RULE, AXIS)
    assert worth_publishing(at(950), at(935), RULE, AXIS)
    assert worth_publishing(at(950), at(965), RULE, AXIS)


def test_far_from_its_due_time_an_order_may_drift_by_its_share_of_the_slack() -> None:
    # 600 minutes before due: 10 % of that is 60 minutes.
    assert threshold(at(400), RULE, AXIS) == 60
    assert not worth_publishing(at(400), at(459), RULE, AXIS)
    assert worth_publishing(at(400), at(460), RULE, AXIS)
    # Late by 300 minutes: 30 minutes more or less change nothing anyone acts on.
    assert threshold(at(1_300), RULE, AXIS) == 30
    assert not worth_publishing(at(1_300), at(1_271), RULE, AXIS)


def test_turning_late_or_back_on_time_is_always_published() -> None:
    assert not is_late(at(1_000), AXIS) and is_late(at(1_001), AXIS)
    assert worth_publishing(at(995), at(1_001), RULE, AXIS)
    assert worth_publishing(at(1_005), at(1_000), RULE, AXIS)
    assert not worth_publishing(at(1_001), at(1_010), RULE, AXIS)


def test_a_new_due_time_or_the_order_the_input_names_is_always_published() -> None:
    assert worth_publishing(at(400), at(400, DUE + timedelta(hours=1)), RULE, AXIS)
    assert worth_publishing(at(400), at(401), RULE, AXIS, about=True)
    assert not worth_publishing(at(400), at(401), RULE, AXIS, about=False)


def test_without_tolerance_every_move_is_published() -> None:
    assert worth_publishing(at(400), at(401), EVERY_MOVE, AXIS)
    assert worth_publishing(at(400), at(399), ProjectionRule(0, 0.0), AXIS)
