"""Where a run's CPU goes: this client's and the wire ceiling's CPU time per message over the
timed part, the broker's while serving each, and how many of the machine's cores the two kept
busy together. On a machine whose cores the broker and the client share, the broker's CPU per
message, and how close client + broker come to every core, show when the broker is the limit.

Standard library only, like bench/summary.py.
"""

from __future__ import annotations

import statistics
from typing import Any

from .plan import size_text
from .summary import WORKLOAD_ORDER, number

CLIENTS = ("aioamqp", "wire")
LABELS = {"aioamqp": "aioamqp", "wire": "wire"}


def _row_label(line: dict[str, Any]) -> str:
    if line["workload"] == "sweep":
        return f"sweep {size_text(line['size'])}"
    if line["workload"] == "fanout":
        return f"fanout C = {line['consumers']:,}"
    return line["workload"]


def _order(line: dict[str, Any]) -> tuple[int, int]:
    workloads = (*WORKLOAD_ORDER, "sweep", "fanout")
    return workloads.index(line["workload"]), line["size"] + line.get("consumers", 0)


def _per_run(line: dict[str, Any]) -> tuple[float, float, float]:
    """(client µs per message, broker µs per message, cores busy) of one run."""
    n, seconds = line["n"], line["seconds"]
    client, broker = line["cpu_s"], line["broker_cpu_s"]
    return client / n * 1e6, broker / n * 1e6, (client + broker) / seconds


def table(lines: list[dict[str, Any]], cores: int) -> str:
    """Medians per workload point and client of _per_run, for the runs that counted CPU."""
    runs: dict[str, dict[str, list[tuple[float, float, float]]]] = {}
    for line in sorted(lines, key=_order):
        if line["client"] in CLIENTS and "broker_cpu_s" in line:
            by_client = runs.setdefault(_row_label(line), {})
            by_client.setdefault(line["client"], []).append(_per_run(line))
    if not runs:
        return ""
    columns = ["client CPU, µs/msg", "broker CPU, µs/msg", f"cores busy, of {cores}"]
    header = ["workload"] + [f"{LABELS[c]}: {column}" for column in columns for c in CLIENTS]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, by_client in runs.items():
        cells = []
        for index in range(3):
            for client in CLIENTS:
                values = [run[index] for run in by_client.get(client, [])]
                cells.append(number(statistics.median(values)) if values else "–")
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
