"""Errors of the inventory domain beyond the shared DomainError/NotFound."""

from __future__ import annotations


class InvalidReference(ValueError):
    """A request names something that does not exist (a field's value): HTTP 422 on `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
