"""The command line (`python -m aioamqp`), end to end against the broker, as a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import aioamqp

TIMEOUT = 60  # seconds for any one command


def run(url: str, *args: str, input: bytes | str | None = None, timeout: float = TIMEOUT):
    """Run `python -m aioamqp ARGS` with AMQP_URL set; text output."""
    env = {**os.environ, "AMQP_URL": url}
    data = input.encode() if isinstance(input, str) else input
    result = subprocess.run(
        [sys.executable, "-m", "aioamqp", *args],
        input=data if data is not None else b"",
        capture_output=True,
        env=env,
        timeout=timeout,
    )
    result.stdout = result.stdout.decode("utf-8", errors="replace")
    result.stderr = result.stderr.decode("utf-8", errors="replace")
    return result


def ok(result) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert result.stderr == "", result.stderr  # nothing logged on success
    return result.stdout


def one_error_line(result, code: int = 1) -> str:
    """The command failed with `code` and said why in one line, without a traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aioamqp: error: "), lines[0]
    return lines[0]


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    netloc = f"{parts.username or 'guest'}:{password}@{host}" + (
        f":{parts.port}" if parts.port else ""
    )
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def cli(amqp_url):
    """cli(*args, input=None) -> CompletedProcess, against the test broker."""

    def cli_(*args: str, **kwargs):
        return run(amqp_url, *args, **kwargs)

    return cli_


@pytest.fixture
def queues(cli):
    """A list of queue and exchange names, each deleted (by the CLI) after the test."""
    names: list[tuple[str, str]] = []
    yield names
    for kind, name in names:
        cli("delete", kind, name)


# -- the console script -----------------------------------------------------------------------


def test_console_script_installed():
    script = shutil.which("aioamqp", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . did not install the aioamqp script"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"aioamqp {aioamqp.__version__}"


def test_module_version():
    result = subprocess.run(
        [sys.executable, "-m", "aioamqp", "--version"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"aioamqp {aioamqp.__version__}"


# -- publish and consume ----------------------------------------------------------------------


def test_publish_three_ways_and_consume(cli, queues, name, tmp_path):
    queues.append(("queue", name))
    assert ok(cli("declare", "queue", name)) == f"queue {name}: 0 message(s), 0 consumer(s)\n"
    body_file = tmp_path / "body.txt"
    body_file.write_bytes("second: é".encode())

    ok(cli("publish", "--routing-key", name, "first"))
    ok(cli("publish", "-r", name, "--file", str(body_file)))
    ok(cli("publish", "-r", name, "-", input="third"))

    assert ok(cli("consume", name, "--count", "3")) == "first\nsecond: é\nthird\n"
    # all three were acknowledged: the queue is empty now
    assert ok(cli("consume", name, "--timeout", "1")) == ""


def test_consume_json(cli, queues, name):
    queues.append(("queue", name))
    ok(cli("declare", "queue", name))
    ok(
        cli(
            "publish",
            "-r",
            name,
            "text body",
            "--content-type",
            "text/plain",
            "--header",
            "attempt=3",
            "--header",
            "source=cli",
            "--correlation-id",
            "c-1",
            "--message-id",
            "m-1",
            "--priority",
            "5",
            "--delivery-mode",
            "2",
            "--type",
            "greeting",
            "--app-id",
            "tests",
            "--expiration",
            "60000",
            "--reply-to",
            "replies",
        )
    )
    ok(cli("publish", "-r", name, "-", input=b"\xff\x00binary"))
    ok(cli("publish", "-r", name, "{}"))

    out = ok(cli("consume", name, "--count", "3", "--json"))
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3
    first, second, third = records
    assert first["body"] == "text body" and first["body_encoding"] == "utf-8"
    assert first["routing_key"] == name and first["exchange"] == ""
    assert first["delivery_tag"] == 1 and first["redelivered"] is False
    assert first["properties"] == {
        "content_type": "text/plain",
        "headers": {"attempt": 3, "source": "cli"},
        "correlation_id": "c-1",
        "message_id": "m-1",
        "priority": 5,
        "delivery_mode": 2,
        "message_type": "greeting",
        "app_id": "tests",
        "expiration": "60000",
        "reply_to": "replies",
    }
    assert second["body_encoding"] == "base64" and second["body"] == "/wBiaW5hcnk="
    assert third["body"] == "{}" and third["properties"] == {}


def test_count_leaves_the_rest_in_the_queue(cli, queues, name):
    """--count N takes N messages, also without acknowledgements: none is lost."""
    queues.append(("queue", name))
    ok(cli("declare", "queue", name))
    ok(cli("publish", "-r", name, "m", "--count", "5"))
    assert ok(cli("consume", name, "--count", "2", "--ack", "none")) == "m\nm\n"
    assert ok(cli("consume", name, "--count", "1", "--prefetch", "50")) == "m\n"
    out = ok(cli("declare", "queue", name, "--passive", "--json"))
    assert json.loads(out) == {"queue": name, "message_count": 2, "consumer_count": 0}


def test_consume_timeout_before_count_fails(cli, queues, name):
    queues.append(("queue", name))
    ok(cli("declare", "queue", name))
    ok(cli("publish", "-r", name, "only one"))
    result = cli("consume", name, "--count", "2", "--timeout", "1")
    assert "1 of 2" in one_error_line(result)
    assert result.stdout == "only one\n"


def test_publish_confirm(cli, queues, name):
    queues.append(("queue", name))
    ok(cli("declare", "queue", name))
    ok(cli("publish", "-r", name, "confirmed", "--confirm", "--count", "20", "--mandatory"))
    out = ok(cli("declare", "queue", name, "--passive", "--json"))
    assert json.loads(out)["message_count"] == 20


def test_publish_unroutable_mandatory_fails(cli, name):
    line = one_error_line(cli("publish", "-r", name, "lost", "--mandatory", "--confirm"))
    assert "NO_ROUTE" in line and "312" in line
    line = one_error_line(cli("publish", "-r", name, "lost", "--mandatory", "-n", "2"))
    assert "2 of 2" in line and "NO_ROUTE" in line


def test_publish_nacked_fails(cli, queues, name):
    """A queue that refuses what overflows it nacks: --confirm reports it."""
    queues.append(("queue", name))
    ok(
        cli(
            "declare",
            "queue",
            name,
            "--arg",
            "x-max-length=1",
            "--arg",
            "x-overflow=reject-publish",
        )
    )
    line = one_error_line(cli("publish", "-r", name, "x", "--confirm", "--count", "3"))
    assert line == "aioamqp: error: the broker nacked 2 of 3 message(s)"


def test_publish_to_missing_exchange_fails(cli, name):
    for confirm in ([], ["--confirm"]):
        line = one_error_line(cli("publish", "-x", name, "x", *confirm))
        assert "NOT_FOUND" in line and "(404)" in line


# -- topology ---------------------------------------------------------------------------------


def test_bind_and_route_through_exchanges(cli, queues, name):
    topic, fanout = f"{name}.topic", f"{name}.fanout"
    queues.extend([("queue", name), ("exchange", topic), ("exchange", fanout)])
    ok(cli("declare", "exchange", topic, "--type", "topic"))
    ok(cli("declare", "exchange", fanout, "--type", "fanout"))
    ok(cli("declare", "queue", name, "--arg", "x-max-length=100"))

    out = ok(cli("bind", name, topic, "--routing-key", "orders.*"))
    assert out == f"queue {name}: bound to exchange {topic} (routing key 'orders.*')\n"
    ok(cli("bind", "exchange", topic, fanout, "-r", "ignored-by-fanout"))

    ok(cli("publish", "-x", topic, "-r", "orders.new", "direct to topic"))
    ok(cli("publish", "-x", topic, "-r", "invoices.new", "not bound: dropped"))
    ok(cli("publish", "-x", fanout, "-r", "orders.old", "through the fanout"))
    out = ok(cli("consume", name, "--count", "2", "--timeout", "10"))
    assert out == "direct to topic\nthrough the fanout\n"

    # the same with --exchange-to-exchange, after unbinding
    ok(cli("unbind", "exchange", topic, fanout, "-r", "ignored-by-fanout"))
    ok(cli("publish", "-x", fanout, "-r", "orders.x", "nowhere"))
    ok(cli("bind", "--exchange-to-exchange", topic, fanout))
    ok(cli("publish", "-x", fanout, "-r", "orders.y", "again"))
    assert ok(cli("consume", name, "--count", "1", "--timeout", "10")) == "again\n"
    assert ok(cli("consume", name, "--timeout", "1")) == ""

    assert ok(cli("delete", "exchange", topic)) == f"exchange {topic}: deleted\n"


def test_delete_queue(cli, queues, name):
    queues.append(("queue", name))
    ok(cli("declare", "queue", name, "--durable"))
    ok(cli("publish", "-r", name, "x"))
    line = one_error_line(cli("delete", "queue", name, "--if-empty"))
    assert "PRECONDITION_FAILED" in line and "(406)" in line
    out = ok(cli("delete", "queue", name, "--json"))
    assert json.loads(out) == {"queue": name, "deleted": True, "message_count": 1}
    line = one_error_line(cli("declare", "queue", name, "--passive"))
    assert "NOT_FOUND" in line and "(404)" in line


def test_purge(cli, queues, name):
    queues.append(("queue", name))
    ok(cli("declare", "queue", name))
    ok(cli("publish", "-r", name, "x", "-n", "4", "--confirm"))
    assert ok(cli("purge", name)) == f"queue {name}: purged 4 message(s)\n"


# -- errors -----------------------------------------------------------------------------------


def test_consume_missing_queue(cli, name):
    line = one_error_line(cli("consume", name, "--count", "1"))
    assert line == f"aioamqp: error: NOT_FOUND - no queue '{name}' in vhost '/' (404)" or (
        "NOT_FOUND" in line and "(404)" in line
    )


def test_wrong_password(amqp_url):
    result = run(amqp_url, "--url", with_password(amqp_url, "wrong-password"), "consume", "q")
    line = one_error_line(result)
    assert "ACCESS_REFUSED" in line and "(403)" in line


def test_connection_refused(amqp_url):
    result = run(amqp_url, "consume", "q", "--url", "amqp://guest:guest@127.0.0.1:1/")
    assert "could not connect to 127.0.0.1:1" in one_error_line(result)


def test_bad_url_scheme(amqp_url):
    result = run(amqp_url, "--url", "http://127.0.0.1/", "declare", "queue", "q")
    assert result.returncode in (1, 2)
    assert "scheme" in one_error_line(result, result.returncode)
    result = run("amqp://127.0.0.1:notaport/", "declare", "queue", "q")  # from AMQP_URL
    assert "bad URL" in one_error_line(result, 2)


def test_usage_errors(cli):
    result = cli("consume", "q", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("no-such-command").returncode == 2
    assert cli("publish", "-r", "q", "--header", "novalue", "x").returncode == 2
    assert cli("perf", "--size", "4").returncode == 2
    line = one_error_line(cli("publish", "-r", "q"), 2)  # no body given
    assert "no message body" in line
    line = one_error_line(cli("publish", "-r", "q", "--file", "/nonexistent/file"))
    assert "cannot read /nonexistent/file" in line


def test_consume_ctrl_c(amqp_url, queues, name):
    queues.append(("queue", name))
    ok(run(amqp_url, "declare", "queue", name))
    ok(run(amqp_url, "publish", "-r", name, "before ctrl-c"))
    process = subprocess.Popen(
        [sys.executable, "-m", "aioamqp", "consume", name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "AMQP_URL": amqp_url},
    )
    watchdog = threading.Timer(TIMEOUT, process.kill)  # readline() must not hang the suite
    watchdog.start()
    try:
        assert process.stdout.readline() == b"before ctrl-c\n"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    assert b"Traceback" not in err and err == b""


# -- perf -------------------------------------------------------------------------------------


def test_perf_json(cli):
    started = time.monotonic()
    out = ok(cli("perf", "--duration", "2", "--json", "--confirm", "--size", "100"))
    assert time.monotonic() - started < 20
    summary = json.loads(out)
    assert summary["sent"] > 0 and summary["received"] > 0
    assert summary["confirmed"] > 0 and summary["nacked"] == 0
    assert 1.5 < summary["duration_s"] < 3
    latency = summary["latency_ms"]
    assert 0 < latency["min"] <= latency["median"] <= latency["p95"] <= latency["p99"]
    assert latency["p99"] <= latency["max"] * 1.01  # percentiles are bucketed (under 1 %)


def test_perf_progress_and_summary(cli):
    out = ok(cli("perf", "--duration", "2", "--progress", "--rate", "500", "--producers", "2"))
    progress, _, summary = out.partition("\n")
    updates = [line for line in progress.split("\r") if line]
    assert updates and all("msgs/s" in line for line in updates), out
    assert any("p50" in line and "p99" in line for line in updates), out
    assert "sent" in summary and "received" in summary and "latency ms" in summary, out
    sent = int(summary.split("\n  sent")[1].split()[0])
    assert 1000 <= sent <= 2500, out  # 2 producers at 500 msgs/s for 2 s


def test_perf_ctrl_c(amqp_url):
    process = subprocess.Popen(
        [sys.executable, "-m", "aioamqp", "perf", "--json", "--rate", "1000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "AMQP_URL": amqp_url},
    )
    watchdog = threading.Timer(TIMEOUT, process.kill)  # readline() must not hang the suite
    watchdog.start()
    try:
        time.sleep(3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()
    assert process.returncode == 130, err
    assert b"Traceback" not in err
    summary = json.loads(out)
    assert summary["interrupted"] is True and summary["received"] > 0
