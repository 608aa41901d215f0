"""Smoke test of the codec benchmark: it runs, cross-checks both codecs and prints its JSON."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "codec.py"
OPS = {"encode_publish", "decode_deliver"}


def test_bench_codec_quick_prints_every_impl_and_op():
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]

    rates = [line for line in lines if "impl" in line]
    assert {(line["impl"], line["op"]) for line in rates} == {
        (impl, op) for impl in ("aioamqp", "pamqp") for op in OPS
    }
    assert len(rates) == 4
    for line in rates:
        assert line["frames_per_s"] > 0 and line["us_per_op"] > 0

    ratios = [line for line in lines if "ratio_vs_pamqp" in line]
    assert {line["op"] for line in ratios} == OPS
    assert len(ratios) == 2
    assert all(line["ratio_vs_pamqp"] > 0 for line in ratios)
    assert len(lines) == 6
