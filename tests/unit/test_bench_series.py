"""The benchmark's planning and summaries without a broker: the points a run measures, the sweep
and fan-out tables with their ratios and RSS target, the n/a cells, and the requirements."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench is a development tool, not an installed package
    sys.path.insert(0, str(REPO))

from bench import common, cpu, deps, plan, series, summary  # noqa: E402

MIB = common.MIB


def line(workload, client, n, size, msgs_per_s, **fields):
    return {
        "workload": workload,
        "client": client,
        "n": n,
        "size": size,
        "seconds": n / msgs_per_s,
        "msgs_per_s": msgs_per_s,
        **fields,
    }


def test_sweep_has_a_point_per_body_size_with_its_own_counts():
    points = plan.points(["sweep"], quick=False, counts={})
    assert [(p.size, p.n) for p in points] == [
        (size, full) for size, (full, _) in common.SWEEP_COUNTS.items()
    ]
    assert [p.size for p in points] == [64, 4096, 65536, MIB, 4 * MIB]
    quick = plan.points(["sweep"], quick=True, counts={})
    assert all(q.n < p.n for p, q in zip(points, quick))


def test_sizes_and_counts_narrow_the_sweep():
    points = plan.points(["sweep"], quick=False, counts={"sweep": 7}, sizes=[64, 100])
    assert [(p.size, p.n) for p in points] == [(64, 7), (100, 7)]
    lone = plan.points(["sweep"], quick=False, counts={}, sizes=[100])
    assert lone[0].n == common.WORKLOADS["sweep"][0]


def test_fanout_has_a_point_per_consumer_count_and_spreads_evenly():
    points = plan.points(["publish", "fanout"], quick=False, counts={})
    assert [p.label() for p in points] == [
        "publish",
        "fanout C=1",
        "fanout C=10",
        "fanout C=100",
        "fanout C=1000",
    ]
    assert {p.n for p in points[1:]} == {50_000}
    with pytest.raises(ValueError, match="spread evenly"):
        plan.points(["fanout"], quick=False, counts={"fanout": 1001}, consumers=[10])


def test_command_picks_each_clients_interpreter_and_passes_consumers():
    point = plan.Point("fanout", 5000, 64, 100)
    pythons = {"aioamqp015": "/venv015/bin/python", "aiormq": "/venvrmq/bin/python"}
    assert plan.command("aioamqp015", point, pythons) == [
        "/venv015/bin/python",
        "-m",
        "bench.client_aioamqp015",
        "--workload",
        "fanout",
        "--n",
        "5000",
        "--size",
        "64",
        "--consumers",
        "100",
    ]
    assert plan.command("wire", plan.Point("sweep", 30, MIB), pythons)[0] == sys.executable


def test_sweep_ratios_are_against_the_wire_and_the_better_other_client():
    lines = [
        line("sweep", "aioamqp", 100, 64, value, mb_per_s=1.0, rss_growth_bytes=0)
        for value in (900, 1000, 1100)
    ]
    lines += [
        line("sweep", "wire", 100, 64, 2000),
        line("sweep", "aiormq", 100, 64, 250),
        line("sweep", "aioamqp015", 100, 64, 400),
    ]
    data = series.stats(lines, "sweep", "msgs_per_s")
    assert data[(64, "aioamqp")].median == 1000
    assert series.ratios(data, 64) == (0.5, 2.5)
    row = series.sweep_table(lines).splitlines()[2]
    assert row.startswith("| 64 B | 100 | 1,000 (900–1,100) | 400 (400–400) | 250 (250–250) |")
    assert row.endswith("| 0.50 (≥0.9 missed) | 2.50 (≥1 met) |")


def test_ratios_without_the_other_clients_are_dashes():
    lines = [line("fanout", "aioamqp", 50, 64, 1000, consumers=10)]
    assert series.fanout_table(lines).splitlines()[2] == (
        "| 10 | 5 | 1,000 (1,000–1,000) | – | – | – | – | – | 1.00 (≥0.9 met) |"
    )


def test_fanout_judges_the_most_consumers_against_the_best_count():
    lines = [
        line("fanout", "aioamqp", 1000, 64, rate, consumers=c)
        for c, rate in ((1, 900), (10, 1000), (1000, 850))
    ]
    table = series.fanout_table(lines).splitlines()
    assert table[0].endswith("| aioamqp / aioamqp at its best count (C = 10) |")
    assert [row.rsplit("|", 2)[1].strip() for row in table[2:]] == [
        "0.90",
        "1.00",
        "0.85 (≥0.9 missed)",
    ]


def test_a_ratio_that_rounds_onto_its_target_shows_a_third_digit():
    assert summary.ratio_cell(0.6006, 0.6, False) == "0.601 (≤0.6 missed)"
    assert summary.ratio_cell(0.899, 0.9, True) == "0.899 (≥0.9 missed)"
    assert summary.ratio_cell(0.91, 0.9, True) == "0.91 (≥0.9 met)"


def test_cpu_table_is_per_message_and_counts_cores_busy():
    runs = [
        line("publish", "aioamqp", 1000, 64, 1000, cpu_s=0.004, broker_cpu_s=0.012),
        line("publish", "wire", 1000, 64, 2000, cpu_s=0.0, broker_cpu_s=0.010),
        line("fanout", "wire", 1000, 64, 500, consumers=10, cpu_s=0.001, broker_cpu_s=0.002),
        line("publish", "aiormq", 1000, 64, 10, cpu_s=9.0, broker_cpu_s=9.0),  # not shown
        line("consume", "aioamqp", 1000, 64, 10),  # no CPU counted: no row
    ]
    rows = cpu.table(runs, 2).splitlines()
    assert rows[0].startswith("| workload | aioamqp: client CPU, µs/msg | wire: client CPU")
    assert rows[0].endswith("| aioamqp: cores busy, of 2 | wire: cores busy, of 2 |")
    # publish: 4 and 0 µs client, 12 and 10 µs broker, (0.004 + 0.012) / 1 s and 0.010 / 0.5 s
    assert rows[2] == "| publish | 4.00 | 0.00 | 12.0 | 10.0 | 0.02 | 0.02 |"
    assert rows[3] == "| fanout C = 10 | – | 1.00 | – | 2.00 | – | 0.00 |"
    assert len(rows) == 4
    assert cpu.table(runs[-1:], 2) == ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux only")
def test_measured_counts_this_processes_cpu_and_a_watched_ones():
    import os

    with common.measured(consumer_pid=os.getpid()):
        deadline = time.perf_counter() + 0.05
        while time.perf_counter() < deadline:
            pass
    got = common.section_cpu
    assert got["cpu_s"] >= got["consumer_cpu_s"] > 0.0  # the watched pid here is this one
    assert common.cpu_seconds(2**22 + 1) == 0.0  # no such process


def test_rss_target_is_checked_on_the_largest_run():
    size = MIB
    target = series.rss_target(size)
    assert target == 6 * MIB
    under = [line("sweep", "aioamqp", 10, size, 100, rss_growth_bytes=b) for b in (MIB, 2 * MIB)]
    over = under + [line("sweep", "aioamqp", 10, size, 100, rss_growth_bytes=target)]
    assert series.rss_table(under).splitlines()[2].endswith("| met |")
    assert series.rss_table(over).splitlines()[2].endswith("| missed |")


def test_unsupported_cells_read_na_and_the_note_says_why():
    lines = [line("publish_confirm", client, 10, 64, 100) for client in ("aioamqp", "aiormq")]
    row = summary.table(lines).splitlines()[2]
    cells = [cell.strip() for cell in row.split("|")[3:7]]
    assert cells == ["100 (100–100)", "n/a", "100 (100–100)", "–"]
    assert "multiple=True" in summary.runs_note(lines)


def test_runner_tables_cover_the_series_the_lines_have():
    assert series.tables([line("publish", "aioamqp", 10, 64, 100)]) == []
    titles = [
        text.splitlines()[0]
        for text in series.tables([line("fanout", "wire", 5, 64, 9, consumers=5)])
    ]
    assert titles == ["Fan-out, consume, msg/s:"]


def test_aioamqp_015_comes_from_the_baselines_not_the_bench_extra():
    assert deps.requirements(["aioamqp"]) == ["aioamqp==0.15.0"]
    assert all(
        deps.distribution(r) != "aioamqp" for r in deps.requirements(["aiormq", "matplotlib"])
    )


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="Linux only")
def test_peak_rss_window_sees_a_transient_allocation():
    baseline = common.reset_peak_rss()
    block = bytearray(64 * MIB)
    del block
    assert common.peak_rss() - baseline >= 60 * MIB
    baseline = common.reset_peak_rss()  # a new window starts at the current RSS
    assert common.peak_rss() - baseline < 8 * MIB


def test_runner_refuses_a_fanout_that_does_not_spread_evenly():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--workloads", "fanout", "--n", "fanout=1001"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "do not spread evenly" in done.stderr


def test_broker_profile_counts_reductions_spent_in_the_timed_part(tmp_path, monkeypatch):
    """--tool broker: the section hooks read the node's reductions by module before and after
    (rabbitmqctl eval; a stub here) and keep the difference; the report puts it per message."""
    from bench import profile

    answers = iter(
        [
            '#{"rabbit_channel" => 1000,"rabbit_prequeue" => 5000,"total" => 9000}',
            '#{"rabbit_channel" => 3000,"rabbit_prequeue" => 9000,"rabbit_writer" => 40,'
            '"total" => 16000}',
        ]
    )
    monkeypatch.setattr(
        common.subprocess,
        "run",
        lambda command, **kwargs: subprocess.CompletedProcess(command, 0, next(answers), ""),
    )
    out = tmp_path / "broker.json"
    monkeypatch.setenv("BENCH_PROFILE", f'{{"tool": "broker", "out": "{out}"}}')
    common.section_start()
    common.section_end()
    result = {"n": 100, "cpu_s": 0.0005, "broker_cpu_s": 0.002}
    text = profile.report_broker(out, result, top=10)
    assert "broker CPU 20.00 µs/msg, client CPU 5.00 µs/msg" in text
    assert "reductions 70 per message in all" in text
    rows = [row.split() for row in text.splitlines()[1:]]
    assert rows == [
        ["40.0", "rabbit_prequeue"],
        ["20.0", "rabbit_channel"],
        ["0.4", "rabbit_writer"],
    ]
