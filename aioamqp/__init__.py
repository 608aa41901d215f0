"""aioamqp: an asyncio AMQP 0-9-1 client for RabbitMQ.

transport, protocol = await aioamqp.connect()
channel = await protocol.channel()
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import ssl as ssl_module
from typing import Any, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from . import (  # noqa: F401  (public modules)
    channel,
    envelope,
    exceptions,
    properties,
    protocol,
    streams,
)
from .exceptions import (  # noqa: F401
    AioamqpException,
    AmqpClosedConnection,
    ChannelClosed,
    ConfigurationError,
    ConsumerCancelled,
    DuplicateConsumerTag,
    EmptyQueue,
    NoChannelAvailable,
    PublishFailed,
    SynchronizationError,
)
from ._generated.constants import ACCESS_REFUSED, NOT_ALLOWED
from .hosts import HostSpec, parse_host, parse_hosts, split_netloc
from .core import auth
from .protocol import AmqpProtocol

from ._version import __version__

__packagename__ = "aioamqp"

logger = logging.getLogger(__name__)

DEFAULT_CONNECTION_TIMEOUT = 10.0  # seconds, as RabbitMQ's own handshake timeout


def _ssl_context(ssl: Any, verify_ssl: bool) -> ssl_module.SSLContext | None:
    """ssl=True: a default context, verifying unless verify_ssl=False. A caller's own context
    is used as configured and never changed (it may be shared): verify_ssl does not apply."""
    if not ssl:
        return None
    if isinstance(ssl, ssl_module.SSLContext):
        if not verify_ssl:
            logger.warning("verify_ssl=False ignored: the SSLContext given decides verification")
        return ssl
    context = ssl_module.create_default_context()
    if not verify_ssl:
        logger.warning("TLS certificate verification is off: the broker is not authenticated")
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    return context


async def connect(
    host: str = "localhost",
    port: int | str | None = None,
    login: str = "guest",
    password: str = "guest",
    virtualhost: str = "/",
    ssl: bool | ssl_module.SSLContext | None = None,
    login_method: str = "PLAIN",
    insist: bool = False,
    protocol_factory: Any = AmqpProtocol,
    *,
    verify_ssl: bool = True,
    loop: asyncio.AbstractEventLoop | None = None,
    connection_timeout: float | None = DEFAULT_CONNECTION_TIMEOUT,
    hosts: Sequence[HostSpec] | None = None,
    shuffle_hosts: bool = False,
    **kwargs: Any,
) -> tuple[asyncio.Transport, AmqpProtocol]:
    """Connect and log in; returns (transport, protocol). Leftover kwargs go to the protocol.

    The TCP connect and the AMQP handshake together must finish within connection_timeout
    seconds (None waits forever). With hosts (["h1", "h2:5673", ("h3", 5674)], replacing host
    and port), each is tried in turn (shuffled with shuffle_hosts), connection_timeout each;
    if none answers, AmqpConnectionFailed lists every host's error.
    """
    loop = loop or asyncio.get_running_loop()
    auth.mechanism(login_method, login, password)  # an unknown one raises before connecting
    context = _ssl_context(ssl, verify_ssl)
    default_port = int(port) if port is not None else (5671 if context else 5672)
    targets = parse_hosts(hosts, default_port) if hosts else [(host, default_port)]
    if shuffle_hosts:
        random.shuffle(targets)

    async def open_connection(host: str, port: int) -> tuple[asyncio.Transport, AmqpProtocol]:
        transport, proto = await loop.create_connection(
            lambda: protocol_factory(**kwargs),
            host,
            port,
            ssl=context,
            server_hostname=host if context else None,
        )
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await proto.start_connection(
                host,
                port,
                login,
                password,
                virtualhost,
                ssl=context,
                login_method=login_method,
                insist=insist,
            )
        except BaseException:
            transport.close()
            raise
        return transport, proto

    errors = []
    last: BaseException | None = None
    for host, port in targets:
        try:
            return await asyncio.wait_for(open_connection(host, port), connection_timeout)
        except asyncio.TimeoutError:
            errors.append(f"{host}:{port}: no answer within {connection_timeout} s")
            last = None
        except OSError as exc:
            errors.append(f"{host}:{port}: {type(exc).__name__}: {exc}")
            last = exc
        except exceptions.AmqpClosedConnection as exc:
            if exc.reply_code in (ACCESS_REFUSED, NOT_ALLOWED) or len(targets) == 1:
                raise  # credentials and vhosts are the cluster's, not one node's
            errors.append(f"{host}:{port}: {exc}")
            last = exc
    if len(targets) == 1:
        raise exceptions.AmqpConnectionFailed(f"could not connect to {errors[0]}") from last
    raise exceptions.AmqpConnectionFailed(
        "could not connect to any host: " + "; ".join(errors)
    ) from last


_INT_OPTIONS = ("heartbeat", "frame_max", "channel_max")


async def from_url(
    url: str | Sequence[str],
    login_method: str = "PLAIN",
    insist: bool = False,
    protocol_factory: Any = AmqpProtocol,
    **kwargs: Any,
) -> tuple[asyncio.Transport, AmqpProtocol]:
    """Connect with an amqp:// or amqps:// URL (RabbitMQ's URI spec; query options
    heartbeat, frame_max, channel_max, connection_timeout). Several hosts: a list of URLs, or
    hosts separated by commas in one (amqp://user:pass@h1,h2:5673/vhost)."""
    if not isinstance(url, str):  # several URLs: credentials and vhost from the first
        urls = list(url)
        hosts = [host for one in urls for host in split_netloc(urlsplit(one).netloc)[2]]
        return await from_url(
            urls[0], login_method, insist, protocol_factory, hosts=hosts, **kwargs
        )
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps"):
        raise ValueError(f"URL scheme must be amqp or amqps, not {parts.scheme!r}")
    options: dict[str, Any] = {}
    for name, values in parse_qs(parts.query).items():
        if name in _INT_OPTIONS:
            options[name] = int(values[-1])
        elif name == "connection_timeout":
            options[name] = float(values[-1])
    if parts.scheme == "amqps" and "ssl" not in kwargs:
        # from_url's own context: verify_ssl is applied to it here, not passed on.
        options["ssl"] = _ssl_context(True, kwargs.pop("verify_ssl", True))
    login, password, url_hosts = split_netloc(parts.netloc)
    if len(url_hosts) > 1 and "hosts" not in kwargs:
        options["hosts"] = url_hosts
    host, port = parse_host(url_hosts[0], 0) if url_hosts else ("localhost", 0)
    path = parts.path
    return await connect(
        host=host,
        port=port or None,
        login=login if login is not None else "guest",
        password=password if password is not None else "guest",
        virtualhost=unquote(path[1:]) if path not in ("", "/") else "/",
        login_method=login_method,
        insist=insist,
        protocol_factory=protocol_factory,
        **{**options, **kwargs},
    )


__all__ = [
    "__version__",
    "AmqpProtocol",
    "AioamqpException",
    "AmqpClosedConnection",
    "ChannelClosed",
    "ConfigurationError",
    "ConsumerCancelled",
    "DuplicateConsumerTag",
    "EmptyQueue",
    "NoChannelAvailable",
    "PublishFailed",
    "SynchronizationError",
    "connect",
    "from_url",
]
