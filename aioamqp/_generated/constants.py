# generated from spec/amqp0-9-1.xml by codegen; do not edit
"""Frame types, sizes and reply codes of the spec."""

FRAME_METHOD = 1
FRAME_HEADER = 2
FRAME_BODY = 3
FRAME_HEARTBEAT = 8
FRAME_MIN_SIZE = 4096
FRAME_END = 206
REPLY_SUCCESS = 200
CONTENT_TOO_LARGE = 311
NO_ROUTE = 312
NO_CONSUMERS = 313
CONNECTION_FORCED = 320
INVALID_PATH = 402
ACCESS_REFUSED = 403
NOT_FOUND = 404
RESOURCE_LOCKED = 405
PRECONDITION_FAILED = 406
FRAME_ERROR = 501
SYNTAX_ERROR = 502
COMMAND_INVALID = 503
CHANNEL_ERROR = 504
UNEXPECTED_FRAME = 505
RESOURCE_ERROR = 506
NOT_ALLOWED = 530
NOT_IMPLEMENTED = 540
INTERNAL_ERROR = 541

SOFT_ERRORS = frozenset({311, 312, 313, 403, 404, 405, 406})
HARD_ERRORS = frozenset({320, 402, 501, 502, 503, 504, 505, 506, 530, 540, 541})
REPLY_NAMES = {
    200: "reply-success",
    311: "content-too-large",
    312: "no-route",
    313: "no-consumers",
    320: "connection-forced",
    402: "invalid-path",
    403: "access-refused",
    404: "not-found",
    405: "resource-locked",
    406: "precondition-failed",
    501: "frame-error",
    502: "syntax-error",
    503: "command-invalid",
    504: "channel-error",
    505: "unexpected-frame",
    506: "resource-error",
    530: "not-allowed",
    540: "not-implemented",
    541: "internal-error",
}
