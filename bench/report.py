"""Write docs/benchmarks.md (summary table, machine) and docs/benchmarks.png (bar chart) from
one `python -m bench` results file, by default the newest full (non --quick) run.

    python -m bench.report [--results bench/results/X.jsonl] [--out docs/benchmarks.md]

Needs matplotlib (`make bench-report` installs it from the bench extra into the bench venv).
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from . import summary
from .common import UNSUPPORTED

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
COLOURS = {"aioamqp": "#2b6cb0", "aioamqp015": "#38a169", "aiormq": "#dd6b20", "wire": "#718096"}
TITLES = {
    "publish": "publish, no confirms",
    "publish_confirm": "publish with confirms",
    "consume": "consume + ack",
    "rpc_latency": "RPC round trip (p50)",
    "large": "4 MiB messages",
}


def newest_full_run() -> Path:
    """The newest results file with every workload for every client (else just the newest)."""
    candidates = sorted(p for p in RESULTS.glob("*.jsonl") if not p.stem.endswith("-quick"))
    if not candidates:
        raise SystemExit(f"no results in {RESULTS}: run `make bench` first")
    everything = {
        (w, c) for w in summary.WORKLOAD_ORDER for c in summary.CLIENT_ORDER
    } - UNSUPPORTED.keys()
    for path in reversed(candidates):
        if {(line["workload"], line["client"]) for line in summary.load([path])} >= everything:
            return path
    return candidates[-1]


def first(lines: list[dict[str, Any]], key: str, client: str | None = None) -> str:
    for line in lines:
        if key in line and (client is None or line["client"] == client):
            return str(line[key])
    return "?"


def chart(lines: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    fig.suptitle(
        "aioamqp, aioamqp 0.15, aiormq and the wire ceiling (median, bars: min–max)", fontsize=11
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(lines: list[dict[str, Any]], results: Path, png: Path) -> str:
    run_id = first(lines, "run_id")
    try:
        when = datetime.datetime.strptime(run_id, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        when = run_id
    sizes = summary.sizes(lines)
    rel_results = results.relative_to(ROOT) if results.is_relative_to(ROOT) else results
    machine = [
        f"- CPU: {first(lines, 'cpus')} cores, {first(lines, 'cpu_model')}",
        f"- OS: {first(lines, 'os')}",
        f"- Python {first(lines, 'python')} (every client, each in its own process)",
        f"- RabbitMQ {first(lines, 'rabbitmq')}, on the same machine, over loopback",
        f"- aioamqp {first(lines, 'client_version', 'aioamqp')},"
        f" aioamqp 0.15: {first(lines, 'client_version', 'aioamqp015')},"
        f" aiormq {first(lines, 'client_version', 'aiormq')}",
        f"- run: {when}, `{rel_results}`",
    ]
    workloads = [
        f"- **publish** ({sizes.get('publish', '?')}): to a fresh queue through the default "
        "exchange, no confirms. The clock stops when a passive `queue.declare` reports that the "
        "queue holds every message, so messages still in a buffer do not count as sent.",
        f"- **publish_confirm** ({sizes.get('publish_confirm', '?')}): publisher confirms, at "
        "most 1,000 unconfirmed (1,000 publishers, each awaiting its confirm before its next "
        "publish; the wire ceiling keeps a window of 1,000). The clock stops at the last confirm.",
        f"- **consume** ({sizes.get('consume', '?')}): the queue is filled first (untimed), then "
        "consumed with prefetch 1,000 and one `basic.ack` per message. The clock stops at a "
        "round trip after the last ack.",
        f"- **rpc_latency** ({sizes.get('rpc_latency', '?')}): sequential request/reply through "
        "the broker between two connections of one process (a server consuming a request queue "
        "and replying to `reply_to` with the `correlation_id`), after 100 untimed round trips.",
        f"- **large** ({sizes.get('large', '?')}): published on one connection and consumed "
        "(prefetch 8, ack each) on another, concurrently; MB/s counts each body once (10^6 B).",
    ]
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "This client against aioamqp 0.15 (the release it replaces), "
            "[aiormq](https://github.com/mosquito/aiormq) 7.x and a *wire ceiling*, in one run "
            "against one local RabbitMQ. Written by `make bench-report` from the results of "
            "`make bench`; do not edit by hand.",
            "",
            "## Results",
            "",
            summary.table(lines),
            "",
            summary.runs_note(lines),
            "",
            f"![Bar chart of the medians per workload]({png.name})",
            "",
            "## Machine",
            "",
            *machine,
            "",
            "The machine runs the broker and the client on the same 2 cores, so every client "
            "competes with RabbitMQ for CPU: a client that spends less CPU per message leaves more "
            "to the broker. Results move by tens of percent between runs when anything else runs "
            "on the machine; compare ratios within one run, not numbers across runs.",
            "",
            "## Workloads",
            "",
            *workloads,
            "",
            "Every workload runs each client in a subprocess of its own (aiormq and aioamqp 0.15 "
            "from venvs of their own), in rounds: each round runs every workload once per client, "
            "the clients' order rotating from round to round. Queues are exclusive and deleted at "
            "the end.",
            "",
            "## The clients",
            "",
            "- **aioamqp**: this project, used as its users would: `aioamqp.from_url`, "
            "`channel.publish`, `basic_consume(callback, queue_name=...)`, "
            "`basic_client_ack`, `confirm_select` and awaiting `publish()` "
            "(`bench/client_aioamqp.py`).",
            "- **aioamqp 0.15**: the 0.15.0 release from PyPI, running the same workload code as "
            "aioamqp, which uses only 0.15's documented API (`bench/client_aioamqp015.py`; a venv "
            "of its own, since both import as `aioamqp`). " + summary.unsupported_note(),
            "- **aiormq**: its documented `Connection`/`Channel` API: `basic_publish`, "
            "`basic_consume` with a callback, `basic_ack`, `publisher_confirms=True` "
            "(`bench/client_aiormq.py`).",
            "- **wire ceiling**: a minimal asyncio client on this project's codec "
            "(`aioamqp._generated` and `aioamqp.frames`) that does each workload with as little "
            "Python per message as the protocol allows: it writes one pre-encoded message many "
            "times per `transport.write`, reads a delivery's tag with one `struct` call without "
            "joining its body, and writes the acks of one socket read at once "
            "(`bench/client_wire.py`). It is what a client on this codec could reach if its own "
            "layers cost nothing.",
            "",
            "## Running it",
            "",
            "```sh",
            "make bench                        # ~5 minutes: every workload, 5 runs per client",
            "make bench BENCH_ARGS='--quick'   # smoke run with reduced sizes (seconds)",
            "make bench BENCH_ARGS='--workloads consume --clients aioamqp,wire --runs 5'",
            "make bench-report                 # this page and its chart from the newest full run",
            "```",
            "",
            "Where this client's time goes: `python -m bench.profile` runs the publish, consume "
            "and publish_confirm workloads under py-spy (`.venv/bin/pip install py-spy`; "
            "cProfile without it) and prints self and inclusive time per function for the "
            "timed part only (`--workloads`, `--client`, `--n`, `--tool`).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--results", type=Path, help="a results file (default: newest full run)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    results = args.results or newest_full_run()
    lines = summary.load([results])
    if not lines:
        raise SystemExit(f"no successful runs in {results}")
    png = args.out.with_suffix(".png")
    chart(lines, png)
    args.out.write_text(markdown(lines, results, png))
    print(f"wrote {args.out} and {png} from {results}")


if __name__ == "__main__":
    main()
