"""TLS (amqps) and SASL EXTERNAL against the local broker's TLS listener on 127.0.0.1:5671.

scripts/broker.sh start sets it up: a test CA, a server certificate for CN/SAN localhost and
SAN IP 127.0.0.1, and a client certificate whose CN (aioamqp-client) is a broker user without
a password, so the certificate is its only way in (SASL EXTERNAL). `scripts/broker.sh
certs-dir` prints where the certificates are (AMQP_TLS_CERTS_DIR overrides it).

Without a TLS listener on 127.0.0.1:5671 these tests are skipped when AMQP_URL names a broker of
your own, and fail otherwise (the local broker is expected to have it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import aioamqp
from aioamqp.exceptions import AmqpClosedConnection, AmqpConnectionFailed, ChannelClosed

HOST = "localhost"  # the name in the server certificate
TLS_PORT = 5671
CLIENT_CN = "aioamqp-client"  # the client certificate's CN: the user EXTERNAL logs in as
T = 10  # seconds for a connect or a broker round trip
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(30)


@dataclass(frozen=True)
class Certs:
    dir: Path

    @property
    def ca(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def client_cert(self) -> Path:
        return self.dir / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.dir / "client.key"

    def context(self, client_cert: bool = False) -> ssl.SSLContext:
        """A context trusting the test CA; with the client certificate if asked."""
        context = ssl.create_default_context(cafile=str(self.ca))
        if client_cert:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context


def _certs_dir() -> Path:
    if os.environ.get("AMQP_TLS_CERTS_DIR"):
        return Path(os.environ["AMQP_TLS_CERTS_DIR"])
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "broker.sh"), "certs-dir"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return Path(out.stdout.strip())


def _tls_port_open(wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        try:
            socket.create_connection(("127.0.0.1", TLS_PORT), timeout=2).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)


@pytest.fixture(scope="module")
def certs() -> Certs:
    """The test certificates, once the TLS listener accepts TCP (skip/fail as described above)."""
    foreign = "AMQP_URL" in os.environ
    # Another session may be restarting the shared local broker.
    if not _tls_port_open(wait=5 if foreign else 60):
        if foreign:
            pytest.skip(
                f"AMQP_URL is set (your own broker) and nothing accepts TCP on "
                f"127.0.0.1:{TLS_PORT}: no TLS listener to test"
            )
        pytest.fail(
            f"nothing accepts TCP on 127.0.0.1:{TLS_PORT}; run scripts/broker.sh start (as root) "
            "to set up the broker's TLS listener",
            pytrace=False,
        )
    found = Certs(_certs_dir())
    for path in (found.ca, found.client_cert, found.client_key):
        if not os.access(path, os.R_OK):
            pytest.fail(
                f"{path} is missing or unreadable; run scripts/broker.sh start (as root)",
                pytrace=False,
            )
    return found


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, check=True, timeout=30)


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory) -> Certs:
    """An unrelated CA with a client certificate for CLIENT_CN, made with openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make an unrelated CA")
    path = tmp_path_factory.mktemp("other-ca")
    (path / "ext.cnf").write_text(
        "[ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\n"
        "subjectKeyIdentifier = hash\n"
        "[client]\nbasicConstraints = critical, CA:FALSE\nextendedKeyUsage = clientAuth\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
    )
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=unrelated test CA",
        "-config", "ext.cnf", "-extensions", "ca", cwd=path,
    )  # fmt: skip
    _openssl(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key",
        "-out", "client.csr", "-subj", f"/CN={CLIENT_CN}", "-config", "ext.cnf", cwd=path,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-set_serial", "0x" + uuid.uuid4().hex, "-days", "2", "-sha256",
        "-extfile", "ext.cnf", "-extensions", "client", "-out", "client.pem", cwd=path,
    )  # fmt: skip
    return Certs(path)


@pytest.fixture
async def tls_connect(connections):
    """await tls_connect(**kwargs): aioamqp.connect(HOST, 5671, ...), closed after the test."""

    async def connect(**kwargs):
        kwargs.setdefault("host", HOST)
        kwargs.setdefault("port", TLS_PORT)
        kwargs.setdefault("connection_timeout", T)
        transport, protocol = await aioamqp.connect(**kwargs)
        connections.append((transport, protocol))
        return transport, protocol

    return connect


async def _round_trip(protocol, properties=None) -> None:
    """Publish to a fresh exclusive queue and get the message back."""
    channel = await protocol.channel()
    queue = (await asyncio.wait_for(channel.queue_declare("", exclusive=True), T))["queue"]
    body = uuid.uuid4().bytes
    await asyncio.wait_for(channel.publish(body, "", queue, properties=properties), T)
    message = await asyncio.wait_for(channel.basic_get(queue, no_ack=True), T)
    assert message["message"] == body


def _assert_verify_failed(excinfo) -> None:
    """A clear, immediate refusal: AmqpConnectionFailed caused by the certificate check."""
    exc = excinfo.value
    assert isinstance(exc, AmqpConnectionFailed)
    assert isinstance(exc.__cause__, ssl.SSLCertVerificationError), repr(exc.__cause__)
    assert "certificate verify failed" in str(exc)
    assert f"{HOST}:{TLS_PORT}" in str(exc)


# -- server authentication --------------------------------------------------------------------


async def test_context_trusting_the_ca_connects(certs, tls_connect):
    transport, protocol = await tls_connect(ssl=certs.context())
    ssl_object = transport.get_extra_info("ssl_object")
    assert ssl_object is not None and ssl_object.version() in ("TLSv1.2", "TLSv1.3")
    assert protocol.server_properties["product"] == "RabbitMQ"
    await _round_trip(protocol)


async def test_tls_port_is_the_default_with_ssl(certs, tls_connect):
    transport, protocol = await tls_connect(ssl=certs.context(), port=None)
    assert transport.get_extra_info("peername")[1] == TLS_PORT
    await _round_trip(protocol)


async def test_default_context_refuses_the_test_ca(certs):
    # ssl=True: the system's CAs, which do not include the test CA.
    started = time.monotonic()
    with pytest.raises(AmqpConnectionFailed) as excinfo:
        await aioamqp.connect(HOST, TLS_PORT, ssl=True, connection_timeout=T)
    _assert_verify_failed(excinfo)
    assert time.monotonic() - started < T / 2  # refused by the handshake, not a timeout


async def test_unrelated_ca_is_refused(certs, other_ca):
    with pytest.raises(AmqpConnectionFailed) as excinfo:
        await aioamqp.connect(HOST, TLS_PORT, ssl=other_ca.context(), connection_timeout=T)
    _assert_verify_failed(excinfo)


async def test_verify_ssl_false_connects_and_warns(certs, tls_connect, caplog):
    with caplog.at_level(logging.WARNING, logger="aioamqp"):
        transport, protocol = await tls_connect(ssl=True, verify_ssl=False)
    assert any(
        record.levelno == logging.WARNING and "verification is off" in record.getMessage()
        for record in caplog.records
        if record.name.startswith("aioamqp")
    ), caplog.records
    await _round_trip(protocol)


async def test_hostname_check_accepts_the_ip_san(certs, tls_connect):
    # The server certificate names localhost and IP 127.0.0.1; check_hostname stays on.
    context = certs.context()
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    transport, protocol = await tls_connect(host="127.0.0.1", ssl=context)
    peer = transport.get_extra_info("peercert")
    assert ("IP Address", "127.0.0.1") in peer["subjectAltName"]
    assert ("DNS", "localhost") in peer["subjectAltName"]
    await _round_trip(protocol)


async def test_plain_amqp_to_the_tls_port_fails_fast(certs):
    started = time.monotonic()
    with pytest.raises(AmqpClosedConnection):
        await aioamqp.connect(HOST, TLS_PORT, connection_timeout=T)
    assert time.monotonic() - started < T / 2


async def test_tls_to_the_plain_port_fails_fast(certs):
    with pytest.raises(AmqpConnectionFailed) as excinfo:
        await aioamqp.connect(HOST, 5672, ssl=certs.context(), connection_timeout=T)
    assert isinstance(excinfo.value.__cause__, ssl.SSLError)


async def test_verify_ssl_false_leaves_the_callers_context_alone(certs, tls_connect):
    context = certs.context()
    await tls_connect(ssl=context, verify_ssl=False)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


# -- amqps URLs -------------------------------------------------------------------------------


async def test_amqps_url_verifies_with_the_default_context(certs):
    with pytest.raises(AmqpConnectionFailed) as excinfo:
        await aioamqp.from_url(f"amqps://guest:guest@{HOST}:{TLS_PORT}/?connection_timeout={T}")
    _assert_verify_failed(excinfo)


async def test_amqps_url_with_an_ssl_context(certs, open_connection):
    # ssl= overrides the default context from_url makes for amqps; the port defaults to 5671.
    transport, protocol = await open_connection(f"amqps://guest:guest@{HOST}/", ssl=certs.context())
    assert transport.get_extra_info("peername")[1] == TLS_PORT
    await _round_trip(protocol)


async def test_amqps_url_with_verify_ssl_false(certs, open_connection, caplog):
    with caplog.at_level(logging.WARNING, logger="aioamqp"):
        _, protocol = await open_connection(
            f"amqps://guest:guest@{HOST}:{TLS_PORT}/", verify_ssl=False
        )
    assert "verification is off" in caplog.text
    await _round_trip(protocol)


# -- client certificates and SASL EXTERNAL ----------------------------------------------------


async def _connect_external(tls_connect, certs):
    return await tls_connect(
        ssl=certs.context(client_cert=True), login_method="EXTERNAL", login="", password=""
    )


async def test_external_logs_in_as_the_certificate_cn(certs, tls_connect):
    _, protocol = await _connect_external(tls_connect, certs)
    # RabbitMQ checks that a message's user_id is the connection's user.
    await _round_trip(protocol, properties={"user_id": CLIENT_CN})
    channel = await protocol.channel()
    await asyncio.wait_for(channel.publish(b"x", "", "no-such-queue", {"user_id": "guest"}), T)
    with pytest.raises(ChannelClosed) as excinfo:
        await asyncio.wait_for(channel.queue_declare("", exclusive=True), T)
    assert excinfo.value.code == 406 and "user_id" in excinfo.value.message


async def test_external_user_in_the_management_api(certs, tls_connect, management):
    transport, _ = await _connect_external(tls_connect, certs)
    record = await management.get_connection(transport)
    assert record["user"] == CLIENT_CN
    assert record["auth_mechanism"] == "EXTERNAL"
    assert record["ssl"] is True
    assert f"CN={CLIENT_CN}" in record["peer_cert_subject"]


async def test_external_without_a_client_certificate_is_refused(certs):
    with pytest.raises(AmqpClosedConnection) as excinfo:
        await aioamqp.connect(
            HOST, TLS_PORT, ssl=certs.context(), login_method="EXTERNAL", connection_timeout=T
        )
    assert excinfo.value.reply_code == 403  # ACCESS_REFUSED
    assert "EXTERNAL" in excinfo.value.reply_text


async def test_client_certificate_from_an_unrelated_ca_is_refused(certs, other_ca):
    # Same CN, wrong issuer: the broker (verify_peer) rejects it in the TLS handshake.
    context = certs.context()
    context.load_cert_chain(str(other_ca.client_cert), str(other_ca.client_key))
    with pytest.raises(AmqpClosedConnection, match="UNKNOWN_CA"):
        await aioamqp.connect(
            HOST, TLS_PORT, ssl=context, login_method="EXTERNAL", connection_timeout=T
        )


async def test_plain_login_works_alongside_a_client_certificate(certs, tls_connect):
    # EXTERNAL is only used when asked for: PLAIN still logs in as guest.
    _, protocol = await tls_connect(ssl=certs.context(client_cert=True))
    await _round_trip(protocol, properties={"user_id": "guest"})


async def test_external_over_plain_tcp_is_refused_clearly(certs):
    # Without TLS the broker offers only PLAIN and AMQPLAIN.
    async with asyncio.timeout(2):
        with pytest.raises(AmqpClosedConnection, match="EXTERNAL"):
            await aioamqp.connect("127.0.0.1", 5672, login_method="EXTERNAL", connection_timeout=T)
