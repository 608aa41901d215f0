"""Each program in examples/ runs to completion against the broker and prints what it should."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[2] / "examples"
EXPECTED = {
    "hello_world.py": "published 10, confirmed 10, consumed 10",
    "work_queues.py": "Done 'fifth..'",
    "publish_subscribe.py": "[subscriber-2] 'error: boom'",
    "routing.py": "[errors-only] error:'disk full'",
    "topics.py": "[critical] cron.critical",
    "rpc.py": "Got 832040",
    "rpc_plain.py": "Got 832040",
}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert EXPECTED[script] in result.stdout
