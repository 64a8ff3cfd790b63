"""Side-by-side timing for `make bench`: Tandem's figure beside the floor the database can do.

A benchmark prints figures and asserts nothing. Each comparison runs Tandem's
code and its floor in interleaved rounds (tandem, floor, tandem, floor, …), so
that whatever else the machine is doing weighs on both alike, and reports the
median of each and their ratio. The floors live in the benchmark commands,
never in the product.

Each timed call is timed as `timeit` times it: the cyclic garbage collector off
during the call, so that what a call pays does not depend on what the
benchmark process built before it (a world of 100,000 mentors leaves a large
heap, and a full collection that falls inside a call walks all of it). A
comparison whose figure is a rate a long-running process sustains (the
dispatcher) keeps the collector on, `gc=True`: there it is part of the cost.
"""

import gc as garbage_collector
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    what: str
    tandem_seconds: float
    floor_seconds: float
    goal: float | None  # None: the goal is not a ratio (a rate, printed beside the table by its benchmark)
    rounds: int

    @property
    def ratio(self) -> float:
        return self.tandem_seconds / self.floor_seconds if self.floor_seconds else float("inf")

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.ratio <= self.goal

    def row(self) -> str:
        if self.goal is None:
            goal = "see below"
        else:
            goal = f"<= {self.goal:.2f}x {'ok' if self.met else 'OVER'}"
        return (
            f"{self.what:<48} {_duration(self.tandem_seconds):>10} {_duration(self.floor_seconds):>10} "
            f"{self.ratio:>6.2f}x  {goal}"
        )


HEADER = f"{'what':<48} {'tandem':>10} {'floor':>10} {'ratio':>7}  goal"


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def compare(
    what: str,
    tandem: Callable[[], object],
    floor: Callable[[], object],
    *,
    goal: float | None,
    rounds: int = 5,
    setup: Callable[[], object] | None = None,
    gc: bool = False,
) -> Comparison:
    """Time `tandem` and `floor` alternately `rounds` times each; `setup` (untimed) runs before every call.
    `gc`: leave the cyclic garbage collector on during the timed calls."""
    tandem_times, floor_times = [], []
    for _ in range(rounds):
        for run, times in ((tandem, tandem_times), (floor, floor_times)):
            if setup is not None:
                setup()
            times.append(_timed(run, gc=gc))
    return Comparison(what, statistics.median(tandem_times), statistics.median(floor_times), goal, rounds)


def _timed(run: Callable[[], object], *, gc: bool) -> float:
    paused = not gc and garbage_collector.isenabled()
    if paused:
        garbage_collector.disable()
    try:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started
    finally:
        if paused:
            garbage_collector.enable()


def print_table(write: Callable[[str], object], comparisons: list[Comparison]) -> None:
    write(HEADER)
    for comparison in comparisons:
        write(comparison.row())
