"""Structured JSON logs: one object per line, with the context bound for the request or event.

The API middleware binds the request's correlation id and trace; the consumer binds those of
the event it is handling; so every line of an event chain can be found by its correlation id.
Logs of other libraries (uvicorn, aiokafka, SQLAlchemy) go through the same renderer.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from contextvars import ContextVar
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, Processor

from mes_events import tracing


def _dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def configure_logging(level: int = logging.INFO) -> None:
    """Render every log record of the process as JSON on stderr."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_chain,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(serializer=_dumps),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


# The chain a task works for: its correlation id and whatever its binder added. One context
# variable, turned into log fields only when a line is written (`add_chain`): binding four
# structlog context variables per request cost ~11 us, most requests log nothing.
_Chain = tuple[object, dict[str, object]]
_CHAIN: ContextVar[_Chain | None] = ContextVar("mes_log_chain", default=None)


def chain_fields() -> dict[str, object]:
    """The log fields of the current chain: correlation id, trace and span ids, and extras."""
    fields: dict[str, object] = {}
    chain = _CHAIN.get()
    if chain is not None:
        fields["correlation_id"] = str(chain[0])
        fields.update(chain[1])
    span = tracing.current()
    if span is not None:
        fields["trace_id"], fields["span_id"] = span.trace_id, span.span_id
    return fields


def add_chain(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the chain's fields, under what the call itself passed."""
    fields: EventDict = chain_fields()
    fields.update(event_dict)
    return fields


def bound(
    correlation_id: object, span: tracing.TraceParent, **more: object
) -> contextlib.AbstractContextManager[None]:
    """Inside the block, `span` is the current span and log lines carry the chain's ids."""
    return _Bound((correlation_id, more), span)


class _Bound(contextlib.AbstractContextManager[None]):
    # A class rather than a generator context manager: entered on every request and event.
    def __init__(self, chain: _Chain, span: tracing.TraceParent) -> None:
        self._chain, self._span = chain, span

    def __enter__(self) -> None:
        self._tokens = (_CHAIN.set(self._chain), tracing.enter(self._span))

    def __exit__(self, *_: object) -> None:
        chain, span = self._tokens
        tracing.leave(span)
        _CHAIN.reset(chain)
