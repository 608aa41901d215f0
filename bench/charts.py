"""The report's charts (matplotlib, headless): bars per workload, and lines for the message-size
sweep and the fan-out, every client and the wire ceiling in each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the headless backend)
from matplotlib.ticker import FixedLocator, NullLocator, StrMethodFormatter  # noqa: E402

from . import series, summary  # noqa: E402
from .common import MIB  # noqa: E402
from .plan import size_text  # noqa: E402

COLOURS = {"aioamqp": "#2b6cb0", "aioamqp015": "#38a169", "aiormq": "#dd6b20", "wire": "#718096"}
MARKERS = {"aioamqp": "o", "aioamqp015": "s", "aiormq": "^", "wire": "D"}
LABELS = {
    "aioamqp": "aioamqp (this client)",
    "aioamqp015": "aioamqp 0.15",
    "aiormq": "aiormq",
    "wire": "wire ceiling",
}
TITLES = {
    "publish": "publish, no confirms",
    "publish_confirm": "publish with confirms",
    "consume": "consume + ack",
    "rpc_latency": "RPC round trip (p50)",
    "large": "4 MiB messages",
}


def bars(lines: list[dict[str, Any]], path: Path) -> None:
    """One panel per single-point workload: a bar per client, min–max as error bars."""
    data = summary.stats(lines)
    workloads = [w for w in summary.WORKLOAD_ORDER if any(l["workload"] == w for l in lines)]
    fig, axes = plt.subplots(1, len(workloads), figsize=(3.6 * len(workloads), 3.9), squeeze=False)
    for ax, workload in zip(axes[0], workloads):
        metric = summary.METRICS[workload][0]
        clients, medians, below, above = [], [], [], []
        for client in summary.CLIENT_ORDER:
            s = data.get((workload, client, metric.key))
            if s is None:
                continue
            clients.append(client)
            medians.append(s.median)
            below.append(s.median - s.low)
            above.append(s.high - s.median)
        positions = range(len(clients))
        ax.bar(
            positions,
            medians,
            yerr=[below, above],
            capsize=4,
            color=[COLOURS[c] for c in clients],
        )
        for x, value, up in zip(positions, medians, above):
            ax.annotate(
                f"{value:,.0f}",
                (x, value + up),  # above the error bar
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        names = {"wire": "wire\nceiling", "aioamqp015": "aioamqp\n0.15"}
        ax.set_xticks(list(positions), [names.get(c, c) for c in clients], fontsize=8)
        better = "higher is better" if metric.higher_is_better else "lower is better"
        ax.set_title(f"{TITLES[workload]}\n{metric.unit}, {better}", fontsize=10)
        ax.margins(y=0.15)
        ax.tick_params(axis="y", labelsize=8)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.suptitle(
        "aioamqp, aioamqp 0.15, aiormq and the wire ceiling (median, bars: min–max)", fontsize=11
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _lines(ax: Any, data: dict[tuple[int, str], Any], xs: list[int], scale: float = 1.0) -> None:
    """A line per client through its medians, a shaded band through its min and max."""
    for client in summary.CLIENT_ORDER:
        held = [x for x in xs if (x, client) in data]
        if not held:
            continue
        stats = [data[(x, client)] for x in held]
        ax.plot(
            held,
            [s.median / scale for s in stats],
            marker=MARKERS[client],
            color=COLOURS[client],
            label=LABELS[client],
        )
        ax.fill_between(
            held,
            [s.low / scale for s in stats],
            [s.high / scale for s in stats],
            color=COLOURS[client],
            alpha=0.15,
        )


def _log_axis(ax: Any, xs: list[int], names: list[str]) -> None:
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(xs))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels(names, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, which="major", alpha=0.3)


def sizes(lines: list[dict[str, Any]], path: Path) -> None:
    """The sweep: msg/s and MB/s against body size, and the publisher's peak RSS growth."""
    xs = series.points(lines, "sweep")
    names = [size_text(x) for x in xs]
    fig, (rate, volume, rss) = plt.subplots(1, 3, figsize=(14, 4.2))
    _lines(rate, series.stats(lines, "sweep", "msgs_per_s"), xs)
    rate.set_yscale("log")
    rate.set_title("publish + consume, msg/s (log)", fontsize=10)
    _lines(volume, series.stats(lines, "sweep", "mb_per_s"), xs)
    volume.set_yscale("log")
    volume.set_title("publish + consume, MB/s (log)", fontsize=10)
    _lines(rss, series.stats(lines, "sweep", "rss_growth_bytes"), xs, scale=MIB)
    rss.plot(
        xs,
        [series.rss_target(x) / MIB for x in xs],
        linestyle="--",
        color="black",
        label="target: 4 × size + 2 MiB",
    )
    rss.set_yscale("symlog", linthresh=1)
    rss.set_title("publisher's peak RSS growth, MiB", fontsize=10)
    for ax in (rate, volume, rss):
        _log_axis(ax, xs, names)
        ax.set_xlabel("body size", fontsize=9)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    rss.legend(fontsize=8)
    fig.suptitle("Message-size sweep (median, band: min–max)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fanout(lines: list[dict[str, Any]], path: Path) -> None:
    """The fan-out: consume msg/s against the number of consumers."""
    xs = series.points(lines, "fanout")
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    _lines(ax, series.stats(lines, "fanout", "msgs_per_s"), xs)
    _log_axis(ax, xs, [f"{x:,}" for x in xs])
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel("consumers (a channel and a queue each)", fontsize=9)
    ax.set_title("Fan-out: consume + ack, msg/s (median, band: min–max)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
