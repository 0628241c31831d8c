"""Errors of the quality domain beyond the shared DomainError (409) and NotFound (404)."""

from __future__ import annotations

Loc = tuple[str | int, ...]


class InvalidInput(ValueError):
    """A request's value the rules refuse (unknown characteristic, wrong count): HTTP 422."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
