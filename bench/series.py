"""Summarise the workloads run at several points: the message-size sweep (per body size) and the
fan-out (per consumer count). Median and min–max per (point, client), ratios of aioamqp to the
wire ceiling and to the better of the other two clients, and the sweep's RSS target.

Standard library only, like bench/summary.py.
"""

from __future__ import annotations

import statistics
from typing import Any

from .common import MIB
from .plan import size_text
from .summary import CLIENT_NAMES, CLIENT_ORDER, Stats, cell, number, ratio_cell

OTHERS = ("aioamqp015", "aiormq")  # the clients aioamqp is meant to beat
# Performance round two's targets for aioamqp: at every body size, this much of the wire
# ceiling and at least the best of OTHERS; with the most consumers, this much of its best count.
SWEEP_VS_WIRE = 0.90
SWEEP_VS_BEST = 1.0
FANOUT_VS_BEST_COUNT = 0.90
# workload -> the result field that names its point
POINT_FIELD = {"sweep": "size", "fanout": "consumers"}


def rss_target(size: int) -> int:
    """Peak RSS growth the publishing process should stay under, streaming size-byte bodies."""
    return 4 * size + 2 * MIB


def stats(lines: list[dict[str, Any]], workload: str, key: str) -> dict[tuple[int, str], Stats]:
    """(point, client) -> Stats of a result field over the runs of a series workload."""
    values: dict[tuple[int, str], list[float]] = {}
    for line in lines:
        if line["workload"] == workload and key in line:
            point = (line[POINT_FIELD[workload]], line["client"])
            values.setdefault(point, []).append(float(line[key]))
    return {
        point: Stats(statistics.median(v), min(v), max(v), len(v)) for point, v in values.items()
    }


def points(lines: list[dict[str, Any]], workload: str) -> list[int]:
    """The points a series workload ran at, ascending."""
    return sorted({line[POINT_FIELD[workload]] for line in lines if line["workload"] == workload})


def messages(lines: list[dict[str, Any]], workload: str, point: int) -> int:
    """The message count at a point (the first run's)."""
    for line in lines:
        if line["workload"] == workload and line[POINT_FIELD[workload]] == point:
            return int(line["n"])
    raise KeyError(point)


def ratios(data: dict[tuple[int, str], Stats], point: int) -> tuple[float | None, float | None]:
    """aioamqp's median over the wire ceiling's, and over the better of the other clients'."""
    ours = data.get((point, "aioamqp"))
    if ours is None:
        return None, None
    wire = data.get((point, "wire"))
    others = [data[(point, client)].median for client in OTHERS if (point, client) in data]
    return (
        ours.median / wire.median if wire and wire.median else None,
        ours.median / max(others) if others and max(others) else None,
    )


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _header(first: str, second: str, last: list[str]) -> list[str]:
    names = [CLIENT_NAMES[client] for client in CLIENT_ORDER]
    columns = [first, second, *names, *last]
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def sweep_table(lines: list[dict[str, Any]]) -> str:
    """Publish + consume throughput per body size, msg/s, with aioamqp's MB/s and ratios."""
    data = stats(lines, "sweep", "msgs_per_s")
    mb = stats(lines, "sweep", "mb_per_s")
    rows = _header(
        "body size",
        "messages",
        ["aioamqp MB/s", "aioamqp / wire", "aioamqp / best of aioamqp 0.15 and aiormq"],
    )
    for size in points(lines, "sweep"):
        cells = [cell(data.get((size, client))) for client in CLIENT_ORDER]
        ours_mb = mb.get((size, "aioamqp"))
        vs_wire, vs_best = ratios(data, size)
        rows.append(
            f"| {size_text(size)} | {messages(lines, 'sweep', size):,} | "
            + " | ".join(cells)
            + f" | {number(ours_mb.median) if ours_mb else '–'}"
            f" | {ratio_cell(vs_wire, SWEEP_VS_WIRE, True)}"
            f" | {ratio_cell(vs_best, SWEEP_VS_BEST, True)} |"
        )
    return "\n".join(rows)


def rss_table(lines: list[dict[str, Any]]) -> str:
    """The publishing process's peak RSS growth per body size, MiB, and aioamqp's target."""
    data = stats(lines, "sweep", "rss_growth_bytes")
    rows = _header("body size", "target (4 × size + 2 MiB)", ["aioamqp (largest run)"])
    for size in points(lines, "sweep"):
        cells = []
        for client in CLIENT_ORDER:
            s = data.get((size, client))
            cells.append(
                cell(Stats(s.median / MIB, s.low / MIB, s.high / MIB, s.runs) if s else None)
            )
        ours = data.get((size, "aioamqp"))
        target = rss_target(size)
        verdict = "–"
        if ours is not None:
            verdict = "met" if ours.high < target else "missed"
        rows.append(
            f"| {size_text(size)} | {number(target / MIB)} | "
            + " | ".join(cells)
            + f" | {verdict} |"
        )
    return "\n".join(rows)


def fanout_table(lines: list[dict[str, Any]]) -> str:
    """Consume throughput per consumer count, msg/s, with ratios; the most consumers' against
    aioamqp's best count."""
    data = stats(lines, "fanout", "msgs_per_s")
    counts = points(lines, "fanout")
    ours = {c: data[(c, "aioamqp")].median for c in counts if (c, "aioamqp") in data}
    best = max(ours, key=ours.__getitem__, default=None)
    rows = _header(
        "consumers",
        "messages per queue",
        [
            "aioamqp / wire",
            "aioamqp / best of aioamqp 0.15 and aiormq",
            f"aioamqp / aioamqp at its best count (C = {best:,})" if best else "aioamqp / best",
        ],
    )
    for consumers in counts:
        per_queue = messages(lines, "fanout", consumers) // consumers
        cells = [cell(data.get((consumers, client))) for client in CLIENT_ORDER]
        vs_wire, vs_best = ratios(data, consumers)
        vs_count = ours[consumers] / ours[best] if best and consumers in ours else None
        target = FANOUT_VS_BEST_COUNT if consumers == counts[-1] else None
        rows.append(
            f"| {consumers:,} | {per_queue:,} | "
            + " | ".join(cells)
            + f" | {_ratio(vs_wire)} | {_ratio(vs_best)} | {ratio_cell(vs_count, target, True)} |"
        )
    return "\n".join(rows)


def tables(lines: list[dict[str, Any]]) -> list[str]:
    """The series tables the lines have data for, each with its title, for the runner's output."""
    out = []
    if points(lines, "sweep"):
        out.append("Message-size sweep, publish + consume, msg/s:\n\n" + sweep_table(lines))
        out.append("Peak RSS growth of the publishing process, MiB:\n\n" + rss_table(lines))
    if points(lines, "fanout"):
        out.append("Fan-out, consume, msg/s:\n\n" + fanout_table(lines))
    return out
