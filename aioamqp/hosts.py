"""Host lists: parsing "host", "host:port", "[v6]:port" or (host, port), and URL netlocs."""

from __future__ import annotations

from typing import Sequence, Union
from urllib.parse import unquote

HostSpec = Union[str, tuple[str, int]]


def parse_host(spec: HostSpec, default_port: int) -> tuple[str, int]:
    """One host as (host, port); a bare host gets default_port."""
    if isinstance(spec, tuple):
        host, port = spec
        return host, int(port)
    if spec.startswith("["):  # [::1] or [::1]:5672
        host, _, rest = spec[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    host, colon, port_text = spec.rpartition(":")
    if not colon or ":" in host:  # no port, or a bare IPv6 address
        return spec, default_port
    return host, int(port_text)


def parse_hosts(specs: Sequence[HostSpec], default_port: int) -> list[tuple[str, int]]:
    if isinstance(specs, str):
        specs = specs.split(",")
    return [parse_host(spec, default_port) for spec in specs]


def split_netloc(netloc: str) -> tuple[str | None, str | None, list[str]]:
    """(login, password, ["host[:port]", ...]) of an AMQP URL's netloc, which may list several
    hosts separated by commas: amqp://user:pass@h1:5672,h2:5673/vhost."""
    userinfo, at, hostlist = netloc.rpartition("@")
    login = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        login = unquote(user)
        password = unquote(secret) if colon else None
    return login, password, [unquote(h) for h in hostlist.split(",") if h]
