"""Summarise result lines: median and min–max per (workload, client), ratios, targets, for the
workloads run at one point (bench/series.py summarises the sweep and the fan-out).

Standard library only (the report runs it from the bench venv). The table is Markdown, which
reads well in a terminal too.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import UNSUPPORTED

WORKLOAD_ORDER = ("publish", "publish_confirm", "consume", "rpc_latency", "large")
CLIENT_ORDER = ("aioamqp", "aioamqp015", "aiormq", "wire")
CLIENT_NAMES = {
    "aioamqp": "aioamqp",
    "aioamqp015": "aioamqp 0.15",
    "aiormq": "aiormq",
    "wire": "wire ceiling",
}


@dataclass(frozen=True)
class Metric:
    key: str  # field of a result line
    label: str
    unit: str
    higher_is_better: bool
    # targets for this client, as median ratios: (vs wire, vs aiormq); None where there is none.
    # Throughput: ratio >= target. Latency: ratio <= target.
    targets: tuple[float | None, float | None] = (None, None)


# Against the wire: performance round two's targets; against aiormq: round one's.
METRICS: dict[str, list[Metric]] = {
    "publish": [Metric("msgs_per_s", "throughput", "msg/s", True, (0.90, 4.0))],
    "publish_confirm": [Metric("msgs_per_s", "throughput", "msg/s", True, (0.80, 6.0))],
    "consume": [Metric("msgs_per_s", "throughput", "msg/s", True, (0.90, 4.0))],
    "rpc_latency": [
        Metric("p50_us", "p50 latency", "µs", False, (1.10, 0.6)),
        Metric("p99_us", "p99 latency", "µs", False),
    ],
    "large": [Metric("mb_per_s", "throughput", "MB/s", True, (0.90, 2.0))],
}


def load(paths: list[Path]) -> list[dict[str, Any]]:
    """Successful run lines from JSONL files (lines with an "error" are skipped)."""
    lines = []
    for path in paths:
        for text in path.read_text().splitlines():
            if text.strip():
                line = json.loads(text)
                if "error" not in line:
                    lines.append(line)
    return lines


@dataclass
class Stats:
    median: float
    low: float
    high: float
    runs: int


def stats(lines: list[dict[str, Any]]) -> dict[tuple[str, str, str], Stats]:
    """(workload, client, metric key) -> Stats over the runs."""
    values: dict[tuple[str, str, str], list[float]] = {}
    for line in lines:
        for metric in METRICS.get(line["workload"], []):
            if metric.key in line:
                key = (line["workload"], line["client"], metric.key)
                values.setdefault(key, []).append(float(line[metric.key]))
    return {key: Stats(statistics.median(v), min(v), max(v), len(v)) for key, v in values.items()}


def ratio(table: dict[tuple[str, str, str], Stats], workload: str, key: str, other: str):
    ours = table.get((workload, "aioamqp", key))
    theirs = table.get((workload, other, key))
    if ours is None or theirs is None or theirs.median == 0:
        return None
    return ours.median / theirs.median


def number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(s: Stats | None, unsupported: bool = False) -> str:
    """'median (min–max)'; n/a where the client cannot run the workload, – where it did not."""
    if s is None:
        return "n/a" if unsupported else "–"
    return f"{number(s.median)} ({number(s.low)}–{number(s.high)})"


def ratio_cell(value: float | None, target: float | None, higher_is_better: bool) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}"
    if target is None:
        return text
    met = value >= target if higher_is_better else value <= target
    if met != (float(text) >= target if higher_is_better else float(text) <= target):
        text = f"{value:.3f}"  # 0.601 misses <=0.6: "0.60" would hide why
    sign = "≥" if higher_is_better else "≤"
    return f"{text} ({sign}{target:g} {'met' if met else 'missed'})"


def sizes(lines: list[dict[str, Any]]) -> dict[str, str]:
    """workload -> 'n × size' as run (the first line's)."""
    out: dict[str, str] = {}
    for line in lines:
        if line["workload"] in WORKLOAD_ORDER and line["workload"] not in out:
            size = line["size"]
            size_text = f"{size // 1048576} MiB" if size >= 1048576 else f"{size} B"
            what = "round trips" if line["workload"] == "rpc_latency" else "msgs"
            out[line["workload"]] = f"{line['n']:,} {what} × {size_text}"
    return out


def table(lines: list[dict[str, Any]]) -> str:
    """The Markdown summary: one row per workload metric, medians with min–max, ratios."""
    data = stats(lines)
    run_sizes = sizes(lines)
    header = (
        "| workload | metric | "
        + " | ".join(CLIENT_NAMES[client] for client in CLIENT_ORDER)
        + " | aioamqp / wire (target) | aioamqp / aiormq (target) | aioamqp / aioamqp 0.15 |"
    )
    rows = [header, "|" + "---|" * (len(CLIENT_ORDER) + 5)]
    for workload in WORKLOAD_ORDER:
        if workload not in run_sizes:
            continue
        for metric in METRICS[workload]:
            cells = [
                cell(data.get((workload, client, metric.key)), (client, workload) in UNSUPPORTED)
                for client in CLIENT_ORDER
            ]
            ratios = [
                ratio_cell(
                    ratio(data, workload, metric.key, other), target, metric.higher_is_better
                )
                for other, target in zip(("wire", "aiormq", "aioamqp015"), (*metric.targets, None))
            ]
            name = f"{workload} ({run_sizes[workload]})"
            label = f"{metric.label}, {metric.unit}" + ("" if metric.higher_is_better else " ↓")
            rows.append(f"| {name} | {label} | " + " | ".join(cells + ratios) + " |")
    return "\n".join(rows)


def runs_note(lines: list[dict[str, Any]]) -> str:
    counts = sorted({s.runs for s in stats(lines).values()})
    runs = "/".join(str(c) for c in counts) or "0"
    return (
        f"Median of {runs} runs per cell, (min–max) after it. ↓: lower is better. Ratios are of "
        "medians; a ratio's target is met when it is on the target's side. "
        + unsupported_note({line["workload"] for line in lines})
    ).rstrip()


def unsupported_note(workloads: set[str] | None = None) -> str:
    """Why some cells read n/a (for these workloads, by default all)."""
    return " ".join(
        f"n/a: no {workload} for {CLIENT_NAMES[client]}, as {reason}."
        for (client, workload), reason in UNSUPPORTED.items()
        if workloads is None or workload in workloads
    )
