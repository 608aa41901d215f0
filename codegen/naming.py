"""The one map from spec names to aioamqp's API names, and the API's few signature choices.

Keys are the most specific spec path that applies: "class.method.field", "class.field" (content
properties) or a bare field name. Anything not listed becomes snake_case of the spec name.
"""

import keyword

FIELD_NAMES = {
    "queue": "queue_name",
    "exchange": "exchange_name",
    "type": "type_name",
    "no-wait": "no_wait",
    "nowait": "no_wait",
    "global": "connection_global",
    "exchange.bind.destination": "exchange_destination",
    "exchange.bind.source": "exchange_source",
    "exchange.unbind.destination": "exchange_destination",
    "exchange.unbind.source": "exchange_source",
    "basic.type": "message_type",
    "basic.reserved": "cluster_id",
}

# Channel coroutine names where aioamqp's API differs from "<class>_<method>".
METHOD_NAMES = {
    "basic.ack": "basic_client_ack",
    "basic.nack": "basic_client_nack",
    "channel.open": "open",
    "channel.close": "close",
    "channel.flow": "flow",
}

# Argument defaults where aioamqp's API differs from the wire type's zero value.
DEFAULTS = {
    "exchange.declare.type": "direct",
    "basic.nack.requeue": True,
    "basic.recover.requeue": True,
    "basic.recover-async.requeue": True,
}

# Fields passed by keyword only, so positional calls written for aioamqp 0.15 keep their meaning.
KEYWORD_ONLY = {
    "exchange.declare.internal",
    "confirm.select.nowait",
}


# Names the generated code uses itself next to the arguments; a field named so gets a "_" suffix,
# as do Python keywords.
RESERVED = {"self", "timeout", "method", "methods", "reply", "cls", "buf", "offset", "end"}


def snake(name: str) -> str:
    return name.replace("-", "_")


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def field_name(path: str, name: str) -> str:
    api = FIELD_NAMES.get(f"{path}.{name}") or FIELD_NAMES.get(name) or snake(name)
    return api + "_" if keyword.iskeyword(api) or api in RESERVED else api


def method_api_name(class_name: str, method_name: str) -> str:
    key = f"{class_name}.{method_name}"
    return METHOD_NAMES.get(key) or snake(f"{class_name}_{method_name}")
