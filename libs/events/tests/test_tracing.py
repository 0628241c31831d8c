"""The W3C traceparent parser: what the spec accepts and what it says to ignore."""

from __future__ import annotations

import pytest

from mes_events.tracing import TraceParent, continue_from, current_header, span

TRACE, SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def test_parses_and_formats_the_specs_example() -> None:
    raw = f"00-{TRACE}-{SPAN}-01"
    parsed = TraceParent.parse(raw)
    assert parsed == TraceParent(TRACE, SPAN, "01") and str(parsed) == raw


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        f"00-{TRACE.upper()}-{SPAN}-01",  # upper-case hex
        f"00-{'0' * 32}-{SPAN}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE}-{SPAN}-01",  # the forbidden version
        f"00-{TRACE}-{SPAN}-01-extra",  # version 00 has exactly four fields
        f"00-{TRACE[:-1]}-{SPAN}-01",
        "garbage",
    ],
)
def test_invalid_values_are_ignored(raw: str | None) -> None:
    assert TraceParent.parse(raw) is None


def test_a_later_version_is_read_for_its_known_fields() -> None:
    parsed = TraceParent.parse(f"01-{TRACE}-{SPAN}-00-more")
    assert parsed == TraceParent(TRACE, SPAN, "00")


def test_continuing_keeps_the_trace_and_flags_with_a_new_span() -> None:
    child = continue_from(f"00-{TRACE}-{SPAN}-00")
    assert child.trace_id == TRACE and child.flags == "00" and child.span_id != SPAN
    root = continue_from("not a traceparent")
    assert TraceParent.parse(str(root)) == root and root.trace_id != TRACE


def test_the_current_span_is_set_inside_the_block_only() -> None:
    assert current_header() is None
    with span(TraceParent(TRACE, SPAN)):
        assert current_header() == f"00-{TRACE}-{SPAN}-01"
    assert current_header() is None
