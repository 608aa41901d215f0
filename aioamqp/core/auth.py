"""SASL mechanisms for connection.start-ok: each is a name and a response. Adding a mechanism is
one class here and one entry in MECHANISMS; `login_method=` picks it by name."""

from __future__ import annotations

from ..exceptions import ConfigurationError
from ..wire import encode_table


class Mechanism:
    """A SASL mechanism: its name on the wire and the response that logs in."""

    name = ""

    def __init__(self, login: str, password: str) -> None:
        self.login = login
        self.password = password

    def response(self) -> bytes:
        raise NotImplementedError


class Plain(Mechanism):
    """RFC 4616: NUL, login, NUL, password."""

    name = "PLAIN"

    def response(self) -> bytes:
        return f"\0{self.login}\0{self.password}".encode()


class AmqPlain(Mechanism):
    """RabbitMQ's AMQPLAIN: a field table of LOGIN and PASSWORD without its length prefix."""

    name = "AMQPLAIN"

    def response(self) -> bytes:
        return encode_table({"LOGIN": self.login, "PASSWORD": self.password})[4:]


class External(Mechanism):
    """The identity comes from outside AMQP (a TLS client certificate): an empty response."""

    name = "EXTERNAL"

    def response(self) -> bytes:
        return b""


MECHANISMS: dict[str, type[Mechanism]] = {
    mechanism.name: mechanism for mechanism in (Plain, AmqPlain, External)
}


def mechanism(login_method: str, login: str, password: str) -> Mechanism:
    """The mechanism for login_method; ConfigurationError for one this client lacks."""
    try:
        return MECHANISMS[login_method](login, password)
    except KeyError:
        raise ConfigurationError(
            f"unknown login_method {login_method!r} (known: {', '.join(MECHANISMS)})"
        ) from None
