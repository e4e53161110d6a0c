"""A technician's or a bay's day as a bitmask of free quarter hours (``capacity``'s grid): its free runs,
and how many short fragments a piece of work taken out of a run leaves."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def span_mask(start: int, end: int) -> int:
    """The steps ``start`` to ``end`` (excluded) as bits."""
    return ((1 << (end - start)) - 1) << start if end > start else 0


def _runs(free: int, total: int) -> list[tuple[int, int]]:
    runs, step = [], 0
    while step < total:
        if free >> step & 1:
            begin = step
            while step < total and free >> step & 1:
                step += 1
            runs.append((begin, step))
        else:
            step += 1
    return runs


@dataclass
class Timeline:
    """A technician's or a bay's day: which steps are free, and its free runs."""

    id: int
    free: int
    total: int
    _run_at: list[tuple[int, int] | None] | None = None

    def occupy(self, start: int, end: int) -> None:
        self.free &= ~span_mask(start, end)
        self._run_at = None

    def run_at(self, step: int) -> tuple[int, int] | None:
        if self._run_at is None:
            table: list[tuple[int, int] | None] = [None] * self.total
            for run in _runs(self.free, self.total):
                for index in range(run[0], run[1]):
                    table[index] = run
            self._run_at = table
        return self._run_at[step] if 0 <= step < self.total else None

    def fragments(self, shortest: int) -> int:
        return sum(1 for begin, end in _runs(self.free, self.total) if end - begin < shortest)

    def fits(self, start: int, end: int) -> tuple[int, int] | None:
        run = self.run_at(start)
        return run if run is not None and end <= run[1] else None


def split_delta(run: tuple[int, int], start: int, end: int, shortest: int) -> int:
    """How many more fragments a timeline has after [start, end) is taken out of its free ``run``."""
    before = 1 if run[1] - run[0] < shortest else 0
    left, right = start - run[0], run[1] - end
    return (1 if 0 < left < shortest else 0) + (1 if 0 < right < shortest else 0) - before


@dataclass
class TechnicianDay(Timeline):
    user_id: int = 0
    name: str = ""
    rank: int = 1
    certificates: frozenset[str] = frozenset()  # kinds held and valid on the day
    efficiency: Decimal = Decimal(1)
    available_steps: int = 0
    busy_steps: int = 0

    def qualified(self, rank: int, certificates: frozenset[str]) -> bool:
        return self.rank >= rank and certificates <= self.certificates


@dataclass
class BayDay(Timeline):
    kind: str = ""
