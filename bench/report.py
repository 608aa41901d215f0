"""Write docs/benchmarks.md (summary tables, machine) and its charts, docs/benchmarks.png (bars
per workload), docs/benchmarks-sizes.png (the message-size sweep) and
docs/benchmarks-fanout.png (the fan-out), from one `python -m bench` results file, by default
the newest full (non --quick) run. A section whose workload is not in the file is left out.

    python -m bench.report [--results bench/results/X.jsonl] [--out docs/benchmarks.md]

Needs matplotlib (`make bench-report` installs it from the bench extra into the bench venv).
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from . import charts, cpu, plan, series, summary
from .common import UNSUPPORTED

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def newest_full_run() -> Path:
    """The newest results file with every workload for every client (else just the newest)."""
    candidates = sorted(p for p in RESULTS.glob("*.jsonl") if not p.stem.endswith("-quick"))
    if not candidates:
        raise SystemExit(f"no results in {RESULTS}: run `make bench` first")
    everything = {
        (w, c) for w in plan.WORKLOAD_ORDER for c in summary.CLIENT_ORDER
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


def series_sections(lines: list[dict[str, Any]], sizes_png: Path, fanout_png: Path) -> list[str]:
    """The sweep's and the fan-out's sections, for the workloads the run has."""
    out = []
    if series.points(lines, "sweep"):
        out += [
            "## Message size",
            "",
            "Publish + consume throughput, msg/s, per body size:",
            "",
            series.sweep_table(lines),
            "",
            "Peak RSS growth of the publishing process while it publishes the stream, MiB (the "
            "target, for this client, is met when its largest run stays under it):",
            "",
            series.rss_table(lines),
            "",
            f"![Throughput and the publisher's RSS growth against body size]({sizes_png.name})",
            "",
        ]
    if series.points(lines, "fanout"):
        out += [
            "## Fan-out",
            "",
            "Consume throughput, msg/s, per number of consumers (one connection; a channel and a "
            "queue per consumer):",
            "",
            series.fanout_table(lines),
            "",
            f"![Consume throughput against the number of consumers]({fanout_png.name})",
            "",
        ]
    if out:
        out += [
            "Median of the runs per cell, (min–max) after it. Ratios are of medians; *best of "
            "aioamqp 0.15 and aiormq* is the faster of the two at that point.",
            "",
        ]
    return out


def cpu_section(lines: list[dict[str, Any]]) -> list[str]:
    """Where the CPU goes, for the runs that counted it."""
    cores = int(first(lines, "cpus")) if first(lines, "cpus").isdigit() else 0
    text = cpu.table(lines, cores)
    if not text:
        return []
    return [
        "## Where the CPU goes",
        "",
        "CPU time over the timed part of each run, per message: the client's process (with the "
        "sweep's consumer process), and every RabbitMQ node on the machine (its Erlang VM, "
        "`beam.smp`, from `/proc`, in 10 ms ticks) while it served that client. *Cores busy* is "
        "the two together over the run's seconds. Medians of the runs.",
        "",
        text,
        "",
        "Where client and broker together keep nearly every core busy, a message costs their "
        "two CPU times added, and the machine carries at most the cores over that sum per "
        "second: CPU the client spends is CPU the broker does not get. Where the broker's own "
        "CPU per message grows (the fan-out, as consumers are added), no client keeps its rate.",
        "",
    ]


def markdown(lines: list[dict[str, Any]], results: Path, pngs: list[Path]) -> str:
    bars_png, sizes_png, fanout_png = pngs
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
    fanout = next((line for line in lines if line["workload"] == "fanout"), None)
    fanout_n = f"{fanout['n']:,}" if fanout else "?"
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
        "- **sweep** (the message counts are in its table): for each body size, published on "
        "one connection and consumed on another, concurrently, the consumer in a second process "
        "of the same client (prefetch: 32 MiB of bodies, 8 to 1,000 messages; ack each). The "
        "clock starts once the consumer consumes and stops at its last message. Over the same "
        "span the publishing process's peak RSS (Linux `VmHWM`, reset at the start, after glibc's "
        "`malloc_trim` hands back freed memory) less its RSS at the start is its RSS growth: "
        "with the consumer elsewhere, it is what publishing costs. The target for this client, "
        "4 × size + 2 MiB, allows a few copies of the "
        "message in flight, not a backlog.",
        f"- **fanout** ({fanout_n} msgs × 64 B in all): for each consumer count C, C queues are "
        f"filled with {fanout_n} / C messages each (untimed), then consumed on one connection by C "
        "consumers, each on a channel of its own (prefetch 1,000, ack each). The clock starts "
        "as the C `basic.consume`s go out (concurrently) and stops at a round trip after the "
        "last ack.",
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
            f"![Bar chart of the medians per workload]({bars_png.name})",
            "",
            *series_sections(lines, sizes_png, fanout_png),
            *cpu_section(lines),
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
            "from venvs of their own), in rounds: each round runs every workload (every size, "
            "every consumer count) once per client, the clients' order rotating from round to "
            "round. Queues are exclusive and go at the end.",
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
            "(`bench/client_wire.py` on `bench/wire_connection.py`). It is what a client on this "
            "codec could reach if its own layers cost nothing.",
            "",
            "## Running it",
            "",
            "```sh",
            "make bench                        # ~20-25 minutes: every workload, 5 runs per client",
            "make bench BENCH_ARGS='--quick'   # smoke run with reduced sizes (a few minutes)",
            "make bench BENCH_ARGS='--workloads consume --clients aioamqp,wire --runs 5'",
            "make bench BENCH_ARGS='--workloads sweep --sizes 65536,1048576 --runs 3'",
            "make bench BENCH_ARGS='--workloads fanout --consumers 1,1000 --runs 3'",
            "make bench-report                 # this page and its charts from the newest full run",
            "```",
            "",
            "Where this client's time goes: `python -m bench.profile` runs the publish, consume "
            "and publish_confirm workloads under py-spy (`.venv/bin/pip install py-spy`; "
            "cProfile without it) and prints self and inclusive time per function for the "
            "timed part only (`--workloads`, `--client`, `--n`, `--tool`).",
            "",
            "Where the broker's goes: `python -m bench.profile --tool broker` prints, over the "
            "same timed part, the local node's Erlang reductions (its units of work) per "
            "message by the module its processes run, beside the broker's and the client's CPU "
            "per message. For instance `--workloads fanout --consumers 1000 --client wire`: "
            "from 10 to 1,000 consumers, the broker's CPU per message grows whichever client "
            "it serves, the wire ceiling too, and more than its reductions per message do.",
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
    pngs = [args.out.with_name(args.out.stem + tail + ".png") for tail in ("", "-sizes", "-fanout")]
    bars_png, sizes_png, fanout_png = pngs
    charts.bars(lines, bars_png)
    written = [bars_png]
    if series.points(lines, "sweep"):
        charts.sizes(lines, sizes_png)
        written.append(sizes_png)
    if series.points(lines, "fanout"):
        charts.fanout(lines, fanout_png)
        written.append(fanout_png)
    args.out.write_text(markdown(lines, results, pngs))
    print(f"wrote {args.out} and {', '.join(str(p) for p in written)} from {results}")


if __name__ == "__main__":
    main()
