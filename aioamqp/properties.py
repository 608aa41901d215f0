"""Message properties, as aioamqp 0.15 exposes them (`message_type` for the spec's `type`,
`cluster_id` for its reserved slot). The class and its codec are generated from the spec."""

from ._generated.properties import BasicProperties as Properties
from ._generated.properties import decode_basic_properties, encode_basic_properties

__all__ = ["Properties", "decode_basic_properties", "encode_basic_properties"]
