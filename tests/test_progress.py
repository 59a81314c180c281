"""Progress in CI logs: plain lines at every 10% or every 30 s, never silent until the end."""

from __future__ import annotations

from safetygate.cli.output import PlainProgress


def run(events: list[tuple[float, int]], total: int) -> list[str]:
    now = [0.0]
    lines: list[str] = []
    progress = PlainProgress("generating", clock=lambda: now[0], write=lines.append)
    for at, done in events:
        now[0] = at
        progress(done, total)
    return lines


def test_a_line_at_every_tenth_and_at_the_end():
    lines = run([(0, 0)] + [(i, i * 10) for i in range(1, 101)], total=1000)
    assert len(lines) == 10
    assert lines[0].startswith("generating: 100/1000 answers (10%)") and lines[-1].startswith("generating: 1000/1000")


def test_a_slow_run_still_reports_every_30_seconds():
    lines = run([(0, 0), (31, 1), (45, 2), (62, 3), (200, 4)], total=1000)
    assert [line.split(" answers")[0] for line in lines] == [
        "generating: 1/1000",
        "generating: 3/1000",
        "generating: 4/1000",
    ]


def test_answers_from_the_cache_do_not_count_as_speed():
    lines = run([(0, 900), (10, 1000)], total=1000)
    assert lines == ["generating: 1000/1000 answers (100%), 10.00 answers/s, 10 s"]
