"""Keeping long-lived objects out of the garbage collector's full collections.

A full collection walks every tracked object the process holds; with a service's frameworks
loaded (and the scheduler's plan of a few thousand operations) one took 40-150 ms, and it
lands inside whatever request or repair happens to allocate at that moment. Objects that live
as long as the process are moved out of its sight once they exist (the Instagram `gc.freeze`
recipe); they are still freed by reference counting when dropped.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect now, then exclude everything alive from later collections (gc.freeze)."""
    gc.collect()
    gc.freeze()


def unsettle() -> None:
    """Give the frozen objects back to the collector (at shutdown)."""
    gc.unfreeze()
