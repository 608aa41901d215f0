"""Our hand-written spec/amqp0-9-1.xml must state exactly the facts of RabbitMQ's spec."""

from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).parents[2]
OURS = REPO / "spec" / "amqp0-9-1.xml"
REFERENCE_DIR = REPO / ".." / "shared" / "spec"
REFERENCE = REFERENCE_DIR / "amqp0-9-1.stripped.extended.xml"


def _asserts(el):
    return [dict(a.attrib) for a in el.findall("assert")]


def _chassis(el):
    return [(c.get("name"), c.get("implement")) for c in el.findall("chassis")]


def _fields(el):
    return [
        {
            "name": f.get("name"),
            "domain": f.get("domain"),
            "type": f.get("type"),
            "reserved": f.get("reserved", "0"),
            "asserts": _asserts(f),
        }
        for f in el.findall("field")
    ]


def _method(m):
    return {
        "name": m.get("name"),
        "index": int(m.get("index")),
        "synchronous": m.get("synchronous", "0"),
        "content": m.get("content", "0"),
        "deprecated": m.get("deprecated", "0"),
        "chassis": _chassis(m),
        "responses": [r.get("name") for r in m.findall("response")],
        "fields": _fields(m),
    }


def spec_facts(path):
    """Normalized facts; comments, labels, <doc>, <rule> and whitespace are ignored."""
    root = etree.parse(str(path)).getroot()
    return {
        "amqp": dict(root.attrib),
        "constants": [
            (c.get("name"), int(c.get("value")), c.get("class")) for c in root.findall("constant")
        ],
        "domains": [(d.get("name"), d.get("type"), _asserts(d)) for d in root.findall("domain")],
        "classes": [
            {
                "name": c.get("name"),
                "handler": c.get("handler"),
                "index": int(c.get("index")),
                "chassis": _chassis(c),
                "fields": _fields(c),
                "methods": [_method(m) for m in c.findall("method")],
            }
            for c in root.findall("class")
        ],
    }


@pytest.fixture(scope="module")
def reference():
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference spec dir {REFERENCE_DIR} not available")
    return spec_facts(REFERENCE)


def test_facts_match_rabbitmq_stripped_extended_spec(reference):
    ours = spec_facts(OURS)
    for key in ("amqp", "constants", "domains"):
        assert ours[key] == reference[key], key
    assert [c["name"] for c in ours["classes"]] == [c["name"] for c in reference["classes"]]
    for our_class, ref_class in zip(ours["classes"], reference["classes"]):
        assert our_class == ref_class, our_class["name"]


def test_has_64_methods():
    facts = spec_facts(OURS)
    assert sum(len(c["methods"]) for c in facts["classes"]) == 64
