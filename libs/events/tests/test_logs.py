"""JSON log lines carry the ids of the chain they were written for, and only inside it."""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Iterator

import orjson
import pytest
import structlog

from mes_events import tracing
from mes_events.logs import bound, configure_logging


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What configure_logging's handler writes, instead of stderr."""
    root = logging.getLogger()
    handlers, level = root.handlers, root.level
    configure_logging()
    out = io.StringIO()
    assert isinstance(root.handlers[0], logging.StreamHandler)
    root.handlers[0].setStream(out)
    try:
        yield out
    finally:
        root.handlers, root.level = handlers, level
        structlog.reset_defaults()


def test_lines_inside_a_chain_carry_its_ids_and_lines_outside_do_not(
    written: io.StringIO,
) -> None:
    correlation, span = uuid.uuid4(), tracing.continue_from(None)
    log = structlog.get_logger("test.logs")
    with bound(correlation, span, consumer="c1"):
        log.info("inside", consumer="mine")  # the call's own field wins over the chain's
        logging.getLogger("other.library").warning("foreign")
        with bound("inner", span.child()):
            log.info("nested")
        log.info("back")
    log.info("outside")
    inside, foreign, nested, back, outside = map(orjson.loads, written.getvalue().splitlines())
    chain = {"correlation_id": str(correlation), "trace_id": span.trace_id}
    assert inside | chain == inside and inside["span_id"] == span.span_id
    assert inside["consumer"] == "mine"
    assert foreign | chain | {"consumer": "c1", "span_id": span.span_id} == foreign
    assert nested["correlation_id"] == "inner" and "consumer" not in nested
    assert nested["trace_id"] == span.trace_id and nested["span_id"] != span.span_id
    assert back | chain | {"consumer": "c1", "span_id": span.span_id} == back
    assert not {"correlation_id", "trace_id", "span_id", "consumer"} & set(outside)
    assert tracing.current() is None
