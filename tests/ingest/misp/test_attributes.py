"""MISP attribute types to ncert indicator types, and back."""

import json
from pathlib import Path

import pymisp
import pytest

from ingest.misp import indicator_pairs, misp_type_of
from ingest.misp.attributes import PARTS
from ncert.observables import INDICATOR_TYPES

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
DESCRIBE_TYPES = json.loads((Path(pymisp.__file__).parent / "data" / "describeTypes.json").read_text())["result"]


@pytest.mark.parametrize(("misp_type", "value", "pairs"), [
    ("ip-src", "192.0.2.1", [("ipv4-addr", "192.0.2.1")]),
    ("ip-dst", "2001:DB8:0:0::1", [("ipv6-addr", "2001:db8::1")]),
    ("ip-dst", "198.51.100.0/24", [("ipv4-addr", "198.51.100.0/24")]),
    ("ip-src|port", "192.0.2.1|443", [("ipv4-addr", "192.0.2.1")]),
    ("ip-dst|port", "2001:db8::1|8443", [("ipv6-addr", "2001:db8::1")]),
    ("domain", "Evil.Example.COM.", [("domain-name", "evil.example.com")]),
    ("hostname", "mail.example.org", [("domain-name", "mail.example.org")]),
    ("hostname|port", "mail.example.org|25", [("domain-name", "mail.example.org")]),
    ("domain|ip", "evil.example.com|203.0.113.5", [("domain-name", "evil.example.com"), ("ipv4-addr", "203.0.113.5")]),
    ("url", "HTTP://Evil.Example.com/a?b=1", [("url", "http://evil.example.com/a?b=1")]),
    ("uri", "/wp-admin/shell.php", []),
    ("email", "X@Example.com", [("email-addr", "x@example.com")]),
    ("email-src", "a@example.com", [("email-addr", "a@example.com")]),
    ("email-dst", "b@example.com", [("email-addr", "b@example.com")]),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", [("md5", "d41d8cd98f00b204e9800998ecf8427e")]),
    ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", [("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]),
    ("sha256", SHA256, [("sha256", SHA256)]),
    ("filename|sha256", f"a|b.exe|{SHA256}", [("sha256", SHA256)]),
    ("filename|md5", "x.exe|d41d8cd98f00b204e9800998ecf8427e", [("md5", "d41d8cd98f00b204e9800998ecf8427e")]),
    ("malware-sample", "x.exe|d41d8cd98f00b204e9800998ecf8427e", [("md5", "d41d8cd98f00b204e9800998ecf8427e")]),
    ("vulnerability", "cve-2021-44228", [("cve", "CVE-2021-44228")]),
    ("stix2-pattern", "[ipv4-addr:value = '192.0.2.1']", [("stix-pattern", "[ipv4-addr:value = '192.0.2.1']")]),
    ("sha256", "not-a-hash", []),
    ("domain|ip", "evil.example.com", []),
    ("text", "192.0.2.1", []),
    ("ip-dst", 3232235777, []),
])
def test_attribute_values_to_indicators(misp_type, value, pairs):
    assert indicator_pairs(misp_type, value) == pairs


def test_every_mapped_type_is_a_misp_type():
    assert set(PARTS) <= set(DESCRIBE_TYPES["types"])


@pytest.mark.parametrize("indicator_type", INDICATOR_TYPES)
def test_every_indicator_type_renders_as_an_allowed_misp_type_and_category(indicator_type):
    misp_type, category = misp_type_of(indicator_type)
    assert misp_type in DESCRIBE_TYPES["category_type_mappings"][category]
    assert PARTS[misp_type] in ((indicator_type,), ("ip",))
