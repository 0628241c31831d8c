"""Domain errors shared by the services and how the HTTP edge maps them."""

from __future__ import annotations


class DomainError(Exception):
    """A command the domain refuses (an invalid transition, a rule broken): HTTP 409."""


class NotFound(LookupError):
    """The aggregate or resource does not exist: HTTP 404."""


class PreconditionFailed(Exception):
    """An If-Match version that is no longer current: HTTP 412."""
