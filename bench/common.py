"""What every client's workload script shares: arguments, defaults, timing and the result line.

Standard library only: the aiormq workloads import this from aiormq's own venv, where aioamqp's
dependencies (none) and dev tools are not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"
KIB = 1024
MIB = 1024 * 1024

# Workload name -> (default message count, default body size in bytes, quick count). The sweep
# and the fan-out run at several points (SWEEP_COUNTS, FANOUT_CONSUMERS); theirs are the
# defaults of a lone run.
WORKLOADS: dict[str, tuple[int, int, int]] = {
    "publish": (100_000, 64, 10_000),
    "publish_confirm": (100_000, 64, 10_000),
    "consume": (100_000, 64, 10_000),
    "rpc_latency": (5_000, 64, 500),
    "large": (200, 4 * MIB, 20),
    "sweep": (300, 4 * MIB, 30),
    "fanout": (50_000, 64, 5_000),
}
# sweep: body size -> (message count, quick count), 1-3 s a point for this client on 2 cores
# (aioamqp 0.15 takes about 3 times as long below 1 MiB, aiormq up to 7 times).
SWEEP_COUNTS: dict[int, tuple[int, int]] = {
    64: (30_000, 3_000),
    4 * KIB: (30_000, 3_000),
    64 * KIB: (10_000, 1_000),
    MIB: (1_500, 150),
    4 * MIB: (300, 30),
}
FANOUT_CONSUMERS = (1, 10, 100, 1000)  # fanout: consumers, each on its own channel and queue
INFLIGHT = 1_000  # publish_confirm: unconfirmed messages at most
PREFETCH = 1_000  # consume, fanout: basic.qos prefetch_count (per channel)
LARGE_PREFETCH = 8  # large: 8 x 4 MiB unacked at most per consumer
SWEEP_PREFETCH_BYTES = 32 * MIB  # sweep: unacked bodies at most, in bytes (8 to PREFETCH bodies)
RPC_WARMUP = 100  # rpc_latency: untimed round trips first
POLL_INTERVAL = 0.001  # s between passive queue.declare polls while waiting for the queue to fill

CLIENTS = ("aioamqp", "aioamqp015", "aiormq", "wire")
# (client, workload) pairs a client cannot run, with the reason the report gives.
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("aioamqp015", "publish_confirm"): (
        "aioamqp 0.15 resolves a broker's basic.ack for its own delivery tag only, ignoring"
        " multiple=True, which RabbitMQ sends once several publishes are unconfirmed: with"
        " 1,000 in flight most publishes wait forever"
    ),
}


def url() -> str:
    return os.environ.get("AMQP_URL") or DEFAULT_URL


def parse_args(client: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=f"one {client} workload run; prints one JSON line")
    parser.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--n", type=int, help="messages (round trips for rpc_latency)")
    parser.add_argument("--size", type=int, help="body size in bytes")
    parser.add_argument("--consumers", type=int, help="fanout: consumers (default 1)")
    parser.add_argument(
        "--consume-queue",
        metavar="QUEUE",
        help="sweep: be the consumer process of a publishing run (bench/consumer_process.py)",
    )
    args = parser.parse_args()
    default_n, default_size, _ = WORKLOADS[args.workload]
    if args.n is None:
        args.n = default_n
    if args.size is None:
        args.size = default_size
    if args.workload == "fanout":
        args.consumers = args.consumers or 1
        if args.n % args.consumers:
            parser.error(f"--n {args.n} does not spread evenly over {args.consumers} consumers")
    elif args.consumers is not None:
        parser.error("--consumers is for the fanout workload")
    if args.consume_queue and args.workload != "sweep":
        parser.error("--consume-queue is for the sweep workload")
    return args


def queue_name(client: str, workload: str, role: str = "") -> str:
    suffix = f".{role}" if role else ""
    return f"bench.{client}.{workload}{suffix}.{uuid.uuid4().hex[:12]}"


def body(size: int) -> bytes:
    return (b"0123456789abcdef" * (size // 16 + 1))[:size]


def sweep_prefetch(size: int) -> int:
    """The sweep consumer's prefetch: SWEEP_PREFETCH_BYTES of bodies, 8 to PREFETCH of them."""
    return max(LARGE_PREFETCH, min(PREFETCH, SWEEP_PREFETCH_BYTES // size))


def _proc_status_bytes(field: str) -> int:
    for text in open("/proc/self/status"):
        if text.startswith(field + ":"):
            return int(text.split()[1]) * 1024  # "VmHWM:   13540 kB"
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> int:
    """Start a new peak-RSS window (Linux: VmHWM drops to VmRSS); returns the RSS in bytes.

    The process's peak before the window (a consumer's bodies, the interpreter's start) would
    otherwise hide what the measured part adds, and so would freed memory still resident
    (malloc keeps some for reuse): glibc's malloc_trim hands it back first.
    """
    ctypes.CDLL(None).malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    return _proc_status_bytes("VmRSS")


def peak_rss() -> int:
    """The highest RSS in bytes since reset_peak_rss()."""
    return _proc_status_bytes("VmHWM")


async def wait_for_count(
    count: Callable[[], Awaitable[int]], expected: int, timeout: float = 600.0
) -> None:
    """Poll count() (a passive queue.declare) until it reports expected messages."""
    deadline = time.perf_counter() + timeout
    while True:
        got = await count()
        if got >= expected:
            if got > expected:
                raise RuntimeError(f"queue holds {got} messages, expected {expected}")
            return
        if time.perf_counter() > deadline:
            raise TimeoutError(f"queue holds {got} of {expected} messages after {timeout} s")
        await asyncio.sleep(POLL_INTERVAL)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, -(-len(sorted_values) * fraction // 1))  # ceil(n * fraction), at least 1
    return sorted_values[int(rank) - 1]


def result(
    client: str,
    workload: str,
    n: int,
    size: int,
    seconds: float,
    *,
    rabbitmq: str,
    client_version: str,
    latencies: list[float] | None = None,
    fields: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON result of one run. latencies (seconds, one per round trip) for rpc_latency;
    fields: a workload's own measurements and parameters (consumers, rss_growth_bytes)."""
    line: dict[str, Any] = {
        "client": client,
        "workload": workload,
        "n": n,
        "size": size,
        "seconds": round(seconds, 6),
        "msgs_per_s": round(n / seconds, 1),
    }
    if workload in ("large", "sweep"):
        line["mb_per_s"] = round(n * size / seconds / 1e6, 2)
    if latencies is not None:
        ordered = sorted(latencies)
        line["p50_us"] = round(percentile(ordered, 0.50) * 1e6, 1)
        line["p99_us"] = round(percentile(ordered, 0.99) * 1e6, 1)
        line["mean_us"] = round(sum(ordered) / len(ordered) * 1e6, 1)
    line.update(fields or {})
    line.update(
        python=platform.python_version(),
        rabbitmq=rabbitmq,
        client_version=client_version,
    )
    return line


def emit(line: dict[str, Any]) -> None:
    """The one line the runner reads from a workload subprocess."""
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def server_version(server_properties: Any) -> str:
    version = (server_properties or {}).get("version", "?")
    if isinstance(version, bytes):
        version = version.decode(errors="replace")
    return str(version)


# Profiling hooks around a workload's timed part, for bench/profile.py: BENCH_PROFILE holds JSON
# {"tool": "py-spy" | "cprofile" | "broker", "out": path, "exe": py-spy's path}. Unset: they do
# nothing.
_profiling: dict[str, Any] = {}

# The local broker's Erlang reductions (its units of work) so far, summed by the module each
# process runs (proc_lib's initial call: rabbit_channel, rabbit_prequeue for queues, ...), and
# "total" for the whole node. rabbitmqctl talks to the node over loopback, as scripts/broker.sh
# has it.
_REDUCTIONS_BY_MODULE = (
    "lists:foldl(fun(P, Acc) -> case {catch proc_lib:translate_initial_call(P),"
    " erlang:process_info(P, reductions)} of {{M, _, _}, {reductions, R}} ->"
    " maps:update_with(atom_to_list(M), fun(V) -> V + R end, R, Acc); _ -> Acc end end,"
    ' #{"total" => element(1, erlang:statistics(exact_reductions))}, erlang:processes()).'
)


def broker_reductions() -> dict[str, int]:
    env = {
        **os.environ,
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_CTL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
    }
    command = ["rabbitmqctl", "-q", "eval", _REDUCTIONS_BY_MODULE]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl eval failed: {done.stderr.strip()[-300:]}")
    return {name: int(count) for name, count in re.findall(r'"([^"]+)" => (\d+)', done.stdout)}


def section_start() -> None:
    """Called just before a workload's clock starts."""
    spec = os.environ.get("BENCH_PROFILE")
    if not spec:
        return
    config = json.loads(spec)
    if config["tool"] == "broker":
        _profiling.update(config, reductions=broker_reductions())
        return
    if config["tool"] == "cprofile":
        import cProfile

        profiler = cProfile.Profile()
        _profiling.update(config, profiler=profiler)
        profiler.enable()
        return
    command = [config["exe"], "record", "--pid", str(os.getpid()), "--rate", "1000"]
    command += ["--format", "raw", "--function", "--idle", "--nonblocking", "-o", config["out"]]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attaching takes a moment, and py-spy says nothing when it is done
    if process.poll() is not None:
        raise RuntimeError(f"py-spy exited at once ({process.returncode})")
    _profiling.update(config, process=process)


class measured:
    """The clock of a workload's measured section; profilers attach to the same section. It
    also counts the CPU time spent over it by this process and the sweep's consumer process
    (consumer_pid), and by the RabbitMQ nodes on this machine: run_client adds them to the
    result.

    with common.measured() as clock:
        ...
    return clock.seconds
    """

    seconds = 0.0

    def __init__(self, consumer_pid: int | None = None) -> None:
        self._consumer_pid = consumer_pid

    def __enter__(self) -> "measured":
        section_start()
        self._brokers = broker_pids()
        self._cpu = self._cpu_seconds()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self._started
        own, consumer, broker = (
            round(after - before, 3) for after, before in zip(self._cpu_seconds(), self._cpu)
        )
        section_cpu.clear()
        section_cpu["cpu_s"] = own + consumer
        if self._consumer_pid is not None:
            section_cpu["consumer_cpu_s"] = consumer
        if self._brokers:
            section_cpu["broker_cpu_s"] = broker
        section_end()

    def _cpu_seconds(self) -> tuple[float, float, float]:
        """(this process, the consumer process, the brokers) CPU seconds so far."""
        consumer = 0.0 if self._consumer_pid is None else cpu_seconds(self._consumer_pid)
        return time.process_time(), consumer, sum(map(cpu_seconds, self._brokers))


# The CPU seconds of the last measured section: {"cpu_s": ..., "consumer_cpu_s": ...,
# "broker_cpu_s": ...} (cpu_s counts the consumer's too).
section_cpu: dict[str, float] = {}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process pid has used (Linux /proc, in clock ticks); 0.0 once
    it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # after "pid (comm)"
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def broker_pids() -> list[int]:
    """The RabbitMQ nodes running on this machine (their Erlang VMs, beam.smp)."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(os.path.join(entry.path, "comm")) as comm:
                    if comm.read().strip() == "beam.smp":
                        pids.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return pids


def section_end() -> None:
    """Called just after a workload's clock stops."""
    if "reductions" in _profiling:
        before = _profiling.pop("reductions")
        after = broker_reductions()
        spent = {name: count - before.get(name, 0) for name, count in after.items()}
        Path(_profiling["out"]).write_text(json.dumps(spent))
    elif "profiler" in _profiling:
        profiler = _profiling.pop("profiler")
        profiler.disable()
        profiler.dump_stats(_profiling["out"])
    elif "process" in _profiling:
        process = _profiling.pop("process")
        process.send_signal(signal.SIGINT)
        process.wait()


def run_client(
    client: str,
    workloads: dict[str, Callable[..., Awaitable[Any]]],
    sweep_consumer: Callable[[str, int, int], Awaitable[None]],
    server_version: Callable[[], str],
    client_version: Callable[[], str],
) -> None:
    """A client script's main: run the workload named on the command line, print its result.

    A workload takes (n, size), and consumers= for fanout. It returns its seconds, or (seconds,
    latencies) for rpc_latency, or (seconds, fields) for its own measurements. With
    --consume-queue the script is instead the consumer process of a sweep run:
    sweep_consumer(queue, n, size) consumes n messages and signals as it goes.
    """
    args = parse_args(client)
    if args.consume_queue:
        asyncio.run(sweep_consumer(args.consume_queue, args.n, args.size))
        return
    parameters = {} if args.consumers is None else {"consumers": args.consumers}

    async def run() -> dict[str, Any]:
        outcome = await workloads[args.workload](args.n, args.size, **parameters)
        seconds, detail = outcome if isinstance(outcome, tuple) else (outcome, None)
        return result(
            client,
            args.workload,
            args.n,
            args.size,
            seconds,
            rabbitmq=server_version(),
            client_version=client_version(),
            latencies=detail if isinstance(detail, list) else None,
            fields={
                **parameters,
                **(detail if isinstance(detail, dict) else {}),
                **section_cpu,
            },
        )

    emit(asyncio.run(run()))
