"""Calendar-aware durations: when does work that starts no earlier than t finish."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from mes_scheduler.planning.model import NEVER, WEEK, Calendar, Window

# Searching further than this for a working window means the center is effectively gone
# (e.g. an open-ended breakdown); such work is placed at NEVER and the checker flags it.
_SEARCH_WEEKS = 104


def _subtract(window: Window, blocks: tuple[Window, ...]) -> list[Window]:
    pieces = [window]
    for block in blocks:
        nxt: list[Window] = []
        for piece in pieces:
            if block.end <= piece.start or block.start >= piece.end:
                nxt.append(piece)
                continue
            if piece.start < block.start:
                nxt.append(Window(piece.start, block.start))
            if block.end < piece.end:
                nxt.append(Window(block.end, piece.end))
        pieces = nxt
    return pieces


class Availability:
    """Absolute working intervals of one center, compiled lazily week by week.

    A cache over an immutable Calendar: results depend only on the calendar, so sharing
    one instance between plans keeps repairs deterministic.
    """

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._open = calendar.always_open
        self._blocks = tuple(sorted(calendar.exceptions + calendar.downtime, key=_key))
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum: list[int] = [0]
        self._weeks = 0
        self._longest = longest_window(calendar)

    def _compile_week(self) -> None:
        base = self._weeks * WEEK
        self._weeks += 1
        for w in self.calendar.weekly:
            for piece in _subtract(Window(base + w.start, base + w.end), self._blocks):
                if piece.end <= piece.start:
                    continue
                if self._ends and self._ends[-1] == piece.start:
                    self._ends[-1] = piece.end
                    self._cum[-1] += piece.end - piece.start
                    continue
                self._starts.append(piece.start)
                self._ends.append(piece.end)
                self._cum.append(self._cum[-1] + piece.end - piece.start)

    def _ensure_time(self, t: int) -> bool:
        limit = t // WEEK + _SEARCH_WEEKS
        while (not self._ends or self._ends[-1] <= t) and self._weeks <= limit:
            self._compile_week()
        return bool(self._ends) and self._ends[-1] > t

    def next_working(self, t: int) -> int:
        """Smallest working minute >= t (NEVER if none in reach)."""
        if self._open:
            return t
        if not self._ensure_time(t):
            return NEVER
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            return t
        return self._starts[i + 1]

    def finish(self, start: int, work: int) -> int:
        """End of `work` working minutes consumed from `start` on, pausing off-shift."""
        if self._open or work <= 0:
            return start + max(work, 0)
        t = self.next_working(start)
        return NEVER if t >= NEVER else self._finish_from_working(t, work)

    def _finish_from_working(self, t: int, work: int) -> int:
        i = bisect_right(self._starts, t) - 1
        target = self._cum[i] + (t - self._starts[i]) + work
        while self._cum[-1] < target:
            before = self._weeks
            if not self._ensure_time(self._ends[-1]) or self._weeks == before:
                return NEVER
        j = bisect_left(self._cum, target, lo=i + 1) - 1
        return self._starts[j] + (target - self._cum[j])

    def place(self, earliest: int, work: int, interruptible: bool) -> tuple[int, int]:
        """Start and end of work released at `earliest` on this center.

        Non-interruptible work longer than the longest weekly window could never run;
        it is planned as interruptible rather than never (the checker applies the same rule).
        """
        if self._open or work <= 0:
            return earliest, earliest + max(work, 0)
        starts, ends = self._starts, self._ends
        if (not ends or ends[-1] <= earliest) and not self._ensure_time(earliest):
            return NEVER, NEVER
        i = bisect_right(starts, earliest) - 1
        if i < 0 or earliest >= ends[i]:
            i += 1  # _ensure_time guarantees a window ending after `earliest`
            start = starts[i]  # the window begins after `earliest`
        else:
            start = earliest
        if start + work <= ends[i]:
            # The common case: the work fits in the window it starts in.
            return start, start + work
        if interruptible or work > self._longest:
            return start, self._finish_from_working(start, work)
        while start < NEVER:
            i = bisect_right(self._starts, start) - 1
            if self._ends[i] - start >= work:
                return start, start + work
            start = self.next_working(self._ends[i])
        return NEVER, NEVER

    def working_minutes(self, start: int, end: int) -> int:
        """Working minutes inside [start, end)."""
        if self._open:
            return max(end - start, 0)
        if end <= start or not self._ensure_time(end):
            return 0
        return self._worked_before(end) - self._worked_before(start)

    def _worked_before(self, t: int) -> int:
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        return self._cum[i] + min(t, self._ends[i]) - self._starts[i]


def longest_window(calendar: Calendar) -> int:
    """Longest contiguous working stretch of the weekly pattern (wrapping at week end)."""
    spans: list[list[int]] = []
    for w in sorted(calendar.weekly, key=_key):
        if spans and w.start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], w.end)
        else:
            spans.append([w.start, w.end])
    if not spans:
        return 0
    lengths = [b - a for a, b in spans]
    if len(spans) > 1 and spans[0][0] == 0 and spans[-1][1] == WEEK:
        lengths.append(lengths[0] + lengths[-1])
    return max(lengths)


def _key(w: Window) -> tuple[int, int]:
    return (w.start, w.end)
