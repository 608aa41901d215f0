"""Profile a client's workloads (the timed part only) and print where the time goes.

    python -m bench.profile [--workloads publish,consume,publish_confirm] [--client aioamqp]
                            [--tool py-spy|cprofile|broker] [--n N] [--top 25]

py-spy (`.venv/bin/pip install py-spy`; the default when it is installed) samples the workload
subprocess 1,000 times a second from outside, without slowing it; it attaches when the clock
starts and detaches when it stops (bench/common.py's section hooks). Its table: self time per
function (time with that function on top of the Python stack, C calls it makes included), then
inclusive time (anywhere on the stack), as a share of the samples in which the process was busy
(not waiting in the event loop's select). cProfile (the fallback) counts every call, which
slows Python-heavy code by about 2x, and prints pstats' top functions by own time.

--tool broker profiles the other side, the local RabbitMQ node, over the same timed part: its
Erlang reductions (units of work) per message, summed by the module each of its processes runs
(rabbit_channel, rabbit_prequeue for the queues, rabbit_writer, ...), from `rabbitmqctl eval`
just before and after, beside the broker's and the client's CPU per message. A process that
ends during the run drops out of its module's count; the total keeps it. For instance, whether
the fan-out's loss of rate as consumers are added is the broker's work growing per message:

    python -m bench.profile --tool broker --workloads fanout --consumers 1000 --client wire

Runs against the same broker as the benchmark; numbers move with the machine's load.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import common

ROOT = Path(__file__).resolve().parent.parent
IDLE = re.compile(r"(^|\.)select \(selectors\.py\)$")  # waiting in the event loop
# The frames every sample has (runpy, the event loop's own loop): left out of the inclusive list.
PLUMBING = re.compile(
    r"<frozen runpy>|^<module> |^(Runner\.run|BaseEventLoop\.(run_forever|run_until_complete"
    r"|_run_once)|run|main) \(asyncio/|^(run|main) \(bench/client_"
)
HOOKS = ("section_start (bench/common.py)", "section_end (bench/common.py)")


def find_py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def short(frame: str) -> str:
    """'name (path/file.py:12)' -> 'name (file.py)' with paths relative to the repo or stdlib."""
    match = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    name, path = match.groups()
    for marker in ("/site-packages/", "/lib/python3.11/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def module_of(frame: str) -> str:
    match = re.match(r"^.* \((.*)\)$", frame)
    return match.group(1) if match else frame


def report_py_spy(path: Path, top: int) -> str:
    samples: list[tuple[list[str], int]] = []
    for text in path.read_text().splitlines():
        stack, _, count = text.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [short(f) for f in stack.split(";") if not f.startswith("process ")]
        if not any(hook in frames for hook in HOOKS):  # py-spy attaching or detaching
            samples.append((frames, int(count)))
    total = sum(count for _, count in samples)
    busy = [(frames, count) for frames, count in samples if frames and not IDLE.search(frames[-1])]
    busy_total = sum(count for _, count in busy) or 1
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    modules: collections.Counter[str] = collections.Counter()
    for frames, count in busy:
        own[frames[-1]] += count
        modules[module_of(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count
    out = [
        f"{total} samples at 1 kHz; busy (not in select) {busy_total / max(total, 1):.0%};"
        " shares below are of the busy samples",
        "",
        "self time by function:",
    ]
    out += [f"  {count / busy_total:6.1%}  {frame}" for frame, count in own.most_common(top)]
    out += ["", "self time by file:"]
    out += [f"  {count / busy_total:6.1%}  {name}" for name, count in modules.most_common(12)]
    out += [
        "",
        "inclusive time (anywhere on the stack; py-spy sees some coroutine stacks cut short):",
    ]
    shown = [(f, c) for f, c in inclusive.most_common() if not PLUMBING.search(f)]
    out += [f"  {count / busy_total:6.1%}  {frame}" for frame, count in shown[:top]]
    return "\n".join(out)


def report_broker(path: Path, result: dict[str, Any], top: int) -> str:
    """The broker's reductions per message by process module, with both sides' CPU."""
    spent = json.loads(path.read_text())
    n = result["n"]
    total = spent.pop("total", 0)
    out = [
        f"broker CPU {result.get('broker_cpu_s', 0) * 1e6 / n:.2f} µs/msg,"
        f" client CPU {result.get('cpu_s', 0) * 1e6 / n:.2f} µs/msg;"
        f" Erlang reductions {total / n:,.0f} per message in all, by process module:",
    ]
    ranked = sorted(spent.items(), key=lambda item: -item[1])[:top]
    out += [f"  {count / n:9,.1f}  {name}" for name, count in ranked if count / n >= 0.05]
    return "\n".join(out)


def report_cprofile(path: Path, top: int) -> str:
    stats = pstats.Stats(str(path))
    total = stats.total_tt or 1  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, cumtime, calls, short(f"{name} ({filename}:{line})")))
    rows.sort(reverse=True)
    out = [f"cProfile, {total:.3f} s of own time in all; top by own time", ""]
    out.append("   own%   own s   cum s      calls  function")
    for tottime, cumtime, calls, name in rows[:top]:
        out.append(f"  {tottime / total:5.1%}  {tottime:6.3f}  {cumtime:6.3f}  {calls:9}  {name}")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--workloads", default="publish,consume,publish_confirm")
    parser.add_argument("--client", default="aioamqp", choices=["aioamqp", "wire", "aiormq"])
    parser.add_argument("--tool", choices=["py-spy", "cprofile", "broker"])
    parser.add_argument("--n", type=int, help="messages (default: the workload's full size)")
    parser.add_argument("--consumers", type=int, help="fanout: the consumer count")
    parser.add_argument("--size", type=int, help="body size (default: the workload's)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", type=Path, help="keep the raw profiles in this folder")
    parser.add_argument(
        "--aiormq-python", default=str(ROOT / ".bench-venvs" / "aiormq" / "bin" / "python")
    )
    args = parser.parse_args()
    py_spy = find_py_spy()
    tool = args.tool or ("py-spy" if py_spy else "cprofile")
    if tool == "py-spy" and not py_spy:
        parser.error("py-spy not found: .venv/bin/pip install py-spy (or --tool cprofile)")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-profile-"))
    folder.mkdir(parents=True, exist_ok=True)
    python = args.aiormq_python if args.client == "aiormq" else sys.executable
    failed = 0
    for workload in [w for w in args.workloads.split(",") if w]:
        n = args.n or common.WORKLOADS[workload][0]
        suffix = {"py-spy": "txt", "cprofile": "prof", "broker": "json"}[tool]
        out = folder / f"{args.client}-{workload}.{suffix}"
        env = {
            **os.environ,
            "BENCH_PROFILE": json.dumps({"tool": tool, "out": str(out), "exe": py_spy}),
        }
        cmd = [python, "-m", f"bench.client_{args.client}", "--workload", workload, "--n", str(n)]
        if args.size:
            cmd += ["--size", str(args.size)]
        if args.consumers:
            cmd += ["--consumers", str(args.consumers)]
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        print(f"## {args.client} {workload} (n={n:,}, {tool})")
        if done.returncode != 0 or not out.exists():
            failed += 1
            print("FAILED:", (done.stderr.strip().splitlines() or ["no output"])[-1], "\n")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"run: {result['seconds']:.3f} s, {result['msgs_per_s']:,.0f} msg/s (while profiled)")
        if tool == "broker":
            print(report_broker(out, result, args.top))
        elif tool == "py-spy":
            print(report_py_spy(out, args.top))
        else:
            print(report_cprofile(out, args.top))
        print()
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
