"""perf's numbers: counters, latency percentiles, the progress line and the summary."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any


def _bucket(ns: int) -> int:
    """A latency rounded down to 7 significant bits of microseconds (under 1 % error)."""
    us = ns // 1000
    shift = us.bit_length() - 7
    return us if shift <= 0 else (us >> shift) << shift


def _rank(sorted_values: list[int], q: float) -> int:
    """Nearest-rank percentile of a sorted, non-empty list."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


class Stats:
    """Counters for the run and for the current one-second window."""

    def __init__(self) -> None:
        self.running = True
        self.sent = self.received = self.confirmed = self.nacked = self.returned = 0
        self.window_sent = self.window_received = 0
        self.window_latencies: list[int] = []  # ns, this second
        self.histogram: Counter[int] = Counter()  # microsecond buckets, the whole run
        self.latency_min: int | None = None
        self.latency_max = 0

    def window(self) -> tuple[int, int, list[int]]:
        """End the current second: (sent, received, sorted latencies in ns) of it."""
        sent, received, latencies = self.window_sent, self.window_received, self.window_latencies
        self.window_sent = self.window_received = 0
        self.window_latencies = []
        latencies.sort()
        if latencies:
            if self.latency_min is None or latencies[0] < self.latency_min:
                self.latency_min = latencies[0]
            self.latency_max = max(latencies[-1], self.latency_max)
            self.histogram.update(_bucket(ns) for ns in latencies)
        return sent, received, latencies

    def latency_ms(self) -> dict[str, float] | None:
        """min, median, p95, p99, max of the run in milliseconds; None if nothing arrived."""
        total = sum(self.histogram.values())
        if not total or self.latency_min is None:
            return None
        wanted = {"median": 0.5, "p95": 0.95, "p99": 0.99}
        result: dict[str, float] = {"min": self.latency_min / 1e6}
        seen = value = 0
        keys = iter(sorted(self.histogram))
        for name, q in wanted.items():
            rank = max(1, math.ceil(q * total))
            while seen < rank:
                key = next(keys)
                seen += self.histogram[key]
                value = key
            result[name] = value / 1e3
        result["max"] = self.latency_max / 1e6
        return {name: round(value, 3) for name, value in result.items()}


def _ms(ns: int) -> str:
    return f"{ns / 1e6:7.2f}"


_QUANTILES = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))


def progress_line(elapsed: float, sent: int, received: int, latencies: list[int]) -> str:
    if latencies:
        lat = " ".join(f"{name} {_ms(_rank(latencies, q))}" for name, q in _QUANTILES)
    else:
        lat = "no messages"
    return f"{elapsed:6.0f} s | sent {sent:8d} msgs/s | received {received:8d} msgs/s | ms {lat}"


def human_summary(s: dict[str, Any]) -> str:
    rows = [
        f"aioamqp perf: {s['duration_s']:.1f} s, {s['producers']} producer(s), "
        f"{s['consumers']} consumer(s), {s['size']}-byte messages, queue {s['queue']}"
        + (" (interrupted)" if s["interrupted"] else ""),
        f"  {'':<12}{'messages':>12}{'msgs/s':>12}",
        f"  {'sent':<12}{s['sent']:>12}{s['send_rate']:>12.0f}",
        f"  {'received':<12}{s['received']:>12}{s['receive_rate']:>12.0f}",
    ]
    if s["confirm_window"]:
        rows.append(f"  {'confirmed':<12}{s['confirmed']:>12}   (window {s['confirm_window']})")
        rows.append(f"  {'nacked':<12}{s['nacked']:>12}")
        if s["unconfirmed"]:
            rows.append(f"  {'unconfirmed':<12}{s['unconfirmed']:>12}")
    rows.append(f"  {'returned':<12}{s['returned']:>12}")
    latency = s["latency_ms"]
    if latency:
        rows.append(
            "  latency ms  " + "  ".join(f"{name} {value:.3f}" for name, value in latency.items())
        )
    else:
        rows.append("  latency ms  (no messages received)")
    if s["consumers"] and s["producers"] and s["received"] < 0.9 * s["sent"]:
        rows.append(
            "  note: the consumers fell behind, so latency includes time spent queued "
            "(--rate caps the producers)"
        )
    return "\n".join(rows)
