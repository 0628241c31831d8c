"""Scheduler service: work centers, the living plan, dispatch, job execution."""
