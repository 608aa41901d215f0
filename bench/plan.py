"""What one `python -m bench` run measures: its points (workload, message count, body size,
consumers), and the command that runs a point for a client.

Most workloads are one point; the sweep is one per body size (common.SWEEP_COUNTS) and the
fan-out one per consumer count (common.FANOUT_CONSUMERS).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from . import common

SINGLE_POINT = ("publish", "publish_confirm", "consume", "rpc_latency", "large")
WORKLOAD_ORDER = SINGLE_POINT + ("sweep", "fanout")


@dataclass(frozen=True)
class Point:
    workload: str
    n: int
    size: int
    consumers: int | None = None  # fanout only

    def label(self) -> str:
        if self.workload == "sweep":
            return f"sweep {size_text(self.size)}"
        if self.workload == "fanout":
            return f"fanout C={self.consumers}"
        return self.workload

    def arguments(self) -> list[str]:
        """The client script's arguments for this point."""
        out = ["--workload", self.workload, "--n", str(self.n), "--size", str(self.size)]
        if self.consumers is not None:
            out += ["--consumers", str(self.consumers)]
        return out


def size_text(size: int) -> str:
    """64 B, 4 KiB, 1 MiB."""
    for unit, scale in (("MiB", common.MIB), ("KiB", common.KIB)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} B"


def points(
    workloads: list[str],
    quick: bool,
    counts: dict[str, int],
    sizes: list[int] | None = None,
    consumers: list[int] | None = None,
) -> list[Point]:
    """The points of these workloads, in order. counts overrides a workload's message count (the
    sweep's at every size); sizes and consumers replace the sweep's and the fan-out's points
    (a size not in common.SWEEP_COUNTS gets the sweep's lone-run counts)."""
    out = []
    for workload in workloads:
        default_n, size, quick_n = common.WORKLOADS[workload]
        n = counts.get(workload, quick_n if quick else default_n)
        if workload == "sweep":
            for body_size in sizes or list(common.SWEEP_COUNTS):
                full, reduced = common.SWEEP_COUNTS.get(body_size, (default_n, quick_n))
                out.append(
                    Point(workload, counts.get(workload, reduced if quick else full), body_size)
                )
        elif workload == "fanout":
            for count in consumers or list(common.FANOUT_CONSUMERS):
                if n % count:
                    raise ValueError(f"fanout: {n} messages do not spread evenly over {count}")
                out.append(Point(workload, n, size, count))
        else:
            out.append(Point(workload, n, size))
    return out


def command(client: str, point: Point, pythons: dict[str, str]) -> list[str]:
    """The subprocess for one run: pythons names the interpreter of each client with a venv of
    its own (aiormq, aioamqp015); the others run on this one."""
    python = pythons.get(client, sys.executable)
    return [python, "-m", f"bench.client_{client}", *point.arguments()]
