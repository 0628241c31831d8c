"""Prometheus metrics shared by the services, beyond those the runtime's own parts keep.

The runtime's parts keep theirs beside their code: HTTP latency (`request_context`), events
appended (`uow`), relay progress and lag (`relay`), consumer outcomes, lag and dead letters
(`consumer`), event-stream clients (`sse`). All are served at `/metrics`.
"""

from __future__ import annotations

from prometheus_client import Histogram

# Observed by the scheduler around each incremental repair of the plan; the trigger is the
# kind of event that caused it (order added, job completed, center down, ...).
REPLAN_SECONDS = Histogram(
    "mes_replan_duration_seconds",
    "time to repair the plan after an event",
    ["trigger"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
