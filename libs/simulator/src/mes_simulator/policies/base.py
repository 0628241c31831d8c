"""What a planning policy offers the simulated shop: it hears events, operators read its lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mes_scheduler.planning.events import Event


class Policy(Protocol):
    """A way of deciding what each work center runs next.

    `observe` gets every shop event in time order; `tick` runs once the events of a minute
    are in (background work such as an improver); `dispatch_list` is what the line terminal
    of `center` shows at `now`, first job first. Operators start the first job on it that
    is ready.
    """

    @property
    def name(self) -> str: ...

    def observe(self, event: Event) -> None: ...

    def tick(self, now: int) -> None: ...

    def dispatch_list(self, center: str, now: int) -> Sequence[str]: ...

    def stats(self) -> dict[str, int]: ...
