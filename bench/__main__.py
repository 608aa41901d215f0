"""The benchmark runner: this client, aioamqp 0.15, aiormq and the wire ceiling, in one run,
against one broker.

    python -m bench [--workloads publish,sweep] [--clients aioamqp,wire] [--runs 3] [--quick]
                    [--sizes 64,1048576] [--consumers 1,100]

Every (run, point, client) is a subprocess, `python -m bench.client_<client> --workload W
--n N --size B [--consumers C]`, which prints one JSON line (bench/plan.py lists the points: one
per workload, the sweep's one per body size, the fan-out's one per consumer count). aiormq and
aioamqp 0.15 run from venvs of their own (--aiormq-python, --aioamqp015-python, made by
`make bench`), the others on this interpreter. Runs take turns: each round runs every point once
for every client (the client order rotating between rounds), so drift in the machine's load
spreads over all clients alike. A client that cannot run a workload (common.UNSUPPORTED) is left
out of it.

Each run's line, with the round number and the machine added, is appended to
bench/results/<UTC time>.jsonl as it completes; a failed run is recorded with an "error" field.
The summary tables (median, min–max, ratios against the wire ceiling and the other clients)
and where the CPU went (bench/cpu.py) come last. The broker is AMQP_URL's, by default
amqp://guest:guest@127.0.0.1:5672/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import common, cpu, plan, series, summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
VENVS = ROOT / ".bench-venvs"


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--workloads",
        default=",".join(plan.WORKLOAD_ORDER),
        help="comma-separated, from: " + ", ".join(plan.WORKLOAD_ORDER),
    )
    parser.add_argument(
        "--clients",
        default=",".join(common.CLIENTS),
        help="comma-separated, from: " + ", ".join(common.CLIENTS),
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per workload and client")
    parser.add_argument(
        "--quick", action="store_true", help="reduced sizes, a smoke run (not for comparisons)"
    )
    parser.add_argument(
        "--n",
        action="append",
        default=[],
        metavar="WORKLOAD=N",
        help="message count (round trips for rpc_latency) for a workload; repeatable",
    )
    parser.add_argument(
        "--sizes",
        help="sweep: comma-separated body sizes in bytes (default: "
        + ",".join(str(size) for size in common.SWEEP_COUNTS)
        + ")",
    )
    parser.add_argument(
        "--consumers",
        help="fanout: comma-separated consumer counts (default: "
        + ",".join(str(count) for count in common.FANOUT_CONSUMERS)
        + ")",
    )
    parser.add_argument("--aiormq-python", default=str(VENVS / "aiormq" / "bin" / "python"))
    parser.add_argument("--aioamqp015-python", default=str(VENVS / "aioamqp015" / "bin" / "python"))
    parser.add_argument("--timeout", type=float, default=300, help="seconds per run at most")
    parser.add_argument(
        "--retries", type=int, default=1, help="a failed run is tried again this often (5 s apart)"
    )
    parser.add_argument("--out", help="results file (default bench/results/<UTC time>.jsonl)")
    args = parser.parse_args()
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.clients = [c for c in args.clients.split(",") if c]
    for name in args.workloads:
        if name not in plan.WORKLOAD_ORDER:
            parser.error(f"unknown workload {name!r}")
    for name in args.clients:
        if name not in common.CLIENTS:
            parser.error(f"unknown client {name!r}")
    counts = {}
    for item in args.n:
        name, _, value = item.partition("=")
        if name not in plan.WORKLOAD_ORDER or not value.isdigit() or int(value) < 1:
            parser.error(f"--n wants WORKLOAD=N with N >= 1, not {item!r}")
        counts[name] = int(value)
    try:
        args.points = plan.points(
            args.workloads,
            args.quick,
            counts,
            numbers(parser, "--sizes", args.sizes),
            numbers(parser, "--consumers", args.consumers),
        )
    except ValueError as exc:
        parser.error(str(exc))
    args.pythons = {"aiormq": args.aiormq_python, "aioamqp015": args.aioamqp015_python}
    for client, python in args.pythons.items():
        if client in args.clients and not Path(python).exists():
            parser.error(
                f"{python} not found: `make bench` creates {client}'s venv"
                f" (or leave {client} out with --clients)"
            )
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def numbers(parser: argparse.ArgumentParser, option: str, text: str | None) -> list[int] | None:
    """A comma-separated list of positive integers, or None when the option is not given."""
    if text is None:
        return None
    items = [item for item in text.split(",") if item]
    if not items or not all(item.isdigit() and int(item) > 0 for item in items):
        parser.error(f"{option} wants positive integers separated by commas, not {text!r}")
    return [int(item) for item in items]


def run_one(cmd: list[str], timeout: float) -> dict[str, Any]:
    """Run one workload subprocess; its result line, or {"error": ...}.

    It runs in a process group of its own, killed whole on a timeout: the sweep's consumer
    process goes with its publisher.
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"error": f"timed out after {timeout:g} s"}
    lines = stdout.strip().splitlines()
    if process.returncode != 0 or not lines:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {process.returncode}: {tail}"}
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"not a JSON line: {lines[-1][:200]!r}"}


def describe(line: dict[str, Any]) -> str:
    if "error" in line:
        return "FAILED: " + line["error"]
    text = f"{line['seconds']:8.3f} s  {line['msgs_per_s']:>11,.0f} msg/s"
    if "mb_per_s" in line:
        text += f"  {line['mb_per_s']:8.1f} MB/s"
    if "p50_us" in line:
        text += f"  p50 {line['p50_us']:,.0f} µs  p99 {line['p99_us']:,.0f} µs"
    if "rss_growth_bytes" in line:
        text += f"  RSS +{line['rss_growth_bytes'] / common.MIB:.1f} MiB"
    return text


def main() -> int:
    args = parse_args()
    started = datetime.datetime.now(datetime.timezone.utc)
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    out = (
        Path(args.out) if args.out else RESULTS / f"{run_id}{'-quick' if args.quick else ''}.jsonl"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
    }
    points = args.points
    runs_per_round = [
        (point, client)
        for point in points
        for client in args.clients
        if (client, point.workload) not in common.UNSUPPORTED
    ]
    total = args.runs * len(runs_per_round)
    print(
        f"bench: {len(points)} points x {len(args.clients)} clients x {args.runs} runs"
        f" = {total} runs; results in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}",
        flush=True,
    )
    for (client, workload), reason in common.UNSUPPORTED.items():
        if client in args.clients and workload in args.workloads:
            print(f"bench: no {workload} for {client}: {reason}", flush=True)
    done = 0
    failures = 0
    clock = time.monotonic()
    with out.open("a") as results:
        for round_number in range(1, args.runs + 1):
            shift = (round_number - 1) % len(args.clients)
            clients = args.clients[shift:] + args.clients[:shift]
            for point in points:
                for client in clients:
                    if (client, point.workload) in common.UNSUPPORTED:
                        continue
                    done += 1
                    cmd = plan.command(client, point, args.pythons)
                    line = run_one(cmd, args.timeout)
                    for _ in range(args.retries):
                        if "error" not in line:
                            break
                        print(
                            f"        {point.label()} {client} failed, again in 5 s:"
                            f" {line['error']}"
                        )
                        time.sleep(5)
                        line = run_one(cmd, args.timeout)
                    if "error" in line:
                        failures += 1
                        parameters = {"consumers": point.consumers} if point.consumers else {}
                        line = {
                            "client": client,
                            "workload": point.workload,
                            "n": point.n,
                            "size": point.size,
                            **parameters,
                            **line,
                        }
                    line.update(run=round_number, run_id=run_id, quick=args.quick, **machine)
                    results.write(json.dumps(line) + "\n")
                    results.flush()
                    print(
                        f"[{done:3}/{total}] round {round_number}  {point.label():<15}"
                        f" {client:<10}"
                        f" {describe(line)}",
                        flush=True,
                    )
    elapsed = time.monotonic() - clock
    lines = summary.load([out])
    lines = [line for line in lines if line.get("run_id") == run_id]
    print()
    print(summary.table(lines))
    print()
    print(summary.runs_note(lines))
    for text in series.tables(lines):
        print()
        print(text)
    cpu_text = cpu.table(lines, os.cpu_count() or 0)
    if cpu_text:
        print("\nCPU over the timed part, per message (bench/cpu.py):\n\n" + cpu_text)
    print(f"{total} runs in {elapsed:.0f} s, {failures} failed; results: {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
