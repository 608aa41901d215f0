"""SASL mechanisms (aioamqp.core.auth): names and responses, bytes only."""

import asyncio

import pytest

import aioamqp
from aioamqp.core import auth
from aioamqp.wire import read_table


def test_plain_is_nul_login_nul_password():
    assert auth.mechanism("PLAIN", "guest", "sécret").response() == "\0guest\0sécret".encode()


def test_amqplain_is_a_field_table_without_its_length():
    response = auth.mechanism("AMQPLAIN", "guest", "pw").response()
    table, end = read_table(len(response).to_bytes(4, "big") + response, 0)
    assert table == {"LOGIN": "guest", "PASSWORD": "pw"} and end == len(response) + 4


def test_external_sends_an_empty_response():
    mechanism = auth.mechanism("EXTERNAL", "", "")
    assert (mechanism.name, mechanism.response()) == ("EXTERNAL", b"")


def test_every_mechanism_is_known_by_its_name():
    assert sorted(auth.MECHANISMS) == ["AMQPLAIN", "EXTERNAL", "PLAIN"]
    assert all(cls.name == name for name, cls in auth.MECHANISMS.items())


def test_an_unknown_login_method_raises_before_connecting():
    with pytest.raises(aioamqp.ConfigurationError, match="SCRAM"):
        auth.mechanism("SCRAM-SHA-256", "a", "b")

    async def connect():
        # Nothing listens on port 1: only an error raised before connecting is a ConfigurationError.
        await aioamqp.connect("127.0.0.1", 1, login_method="SCRAM-SHA-256")

    with pytest.raises(aioamqp.ConfigurationError):
        asyncio.run(connect())
