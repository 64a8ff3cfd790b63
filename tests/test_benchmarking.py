import gc

from core import benchmarking
from core.benchmarking import compare


def test_tandem_and_floor_run_in_alternate_rounds_after_their_setup():
    calls = []
    compare(
        "lists",
        lambda: calls.append("tandem"),
        lambda: calls.append("floor"),
        goal=1.3,
        rounds=3,
        setup=lambda: calls.append("setup"),
    )
    assert calls == ["setup", "tandem", "setup", "floor"] * 3


def test_the_row_reports_the_ratio_of_the_medians_against_its_goal(monkeypatch):
    # Tandem takes 2, 9 and 2 s, the floor 1 s each time: the slow outlier does not move the median.
    clock = iter([0.0, 2.0, 0.0, 1.0, 0.0, 9.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0])
    monkeypatch.setattr(benchmarking.time, "perf_counter", lambda: next(clock))
    comparison = compare("planner", lambda: None, lambda: None, goal=1.5, rounds=3)
    assert (comparison.tandem_seconds, comparison.floor_seconds) == (2.0, 1.0)
    assert comparison.ratio == 2.0
    assert not comparison.met
    assert "2.00x" in comparison.row() and "OVER" in comparison.row()


def test_calls_are_timed_with_the_garbage_collector_off_unless_it_is_part_of_the_figure():
    seen = []

    def record():
        seen.append(gc.isenabled())

    compare("compliance", record, record, goal=1.3, rounds=1)
    compare("dispatcher", record, record, goal=None, rounds=1, gc=True)
    assert seen == [False, False, True, True]
    assert gc.isenabled()
