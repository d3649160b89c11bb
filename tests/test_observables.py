"""Indicator normalisation: the same observable meets itself whatever the source wrote."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncert.observables import INDICATOR_TYPES, normalise


@pytest.mark.parametrize("kind,raw,canonical", [
    ("ipv4-addr", " 198.51.100.7 ", "198.51.100.7"),
    ("ipv4-addr", "198.51.100.7/32", "198.51.100.7"),
    ("ipv4-addr", "198.51.100.9/24", "198.51.100.0/24"),
    ("ipv6-addr", "2001:DB8::0:1", "2001:db8::1"),
    ("domain-name", "Login.Example.COM.", "login.example.com"),
    ("domain-name", "bücher.example", "xn--bcher-kva.example"),
    ("url", "HTTPS://Evil.Example.com/Path?q=1#frag", "https://evil.example.com/Path?q=1"),
    ("url", "http://198.51.100.7:8080", "http://198.51.100.7:8080/"),
    ("email-addr", "CEO@Example.org", "ceo@example.org"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    ("cve", "cve-2024-3400", "CVE-2024-3400"),
])
def test_canonical_forms(kind, raw, canonical):
    assert normalise(kind, raw) == canonical


@pytest.mark.parametrize("kind,raw", [
    ("ipv4-addr", "2001:db8::1"), ("ipv4-addr", "999.1.1.1"), ("ipv6-addr", "10.0.0.1"),
    ("domain-name", "localhost"), ("domain-name", "-bad-.example"), ("url", "/relative/path"),
    ("email-addr", "no-at-sign"), ("sha256", "abc"), ("sha1", "g" * 40), ("cve", "CVE-24-1"),
    ("hostname", "example.com"), ("url", ""), ("domain-name", "a" * 3000 + ".com"),
])
def test_rejects(kind, raw):
    with pytest.raises(ValueError):
        normalise(kind, raw)


@given(kind=st.sampled_from(INDICATOR_TYPES), raw=st.text(max_size=300))
def test_never_raises_anything_but_valueerror_and_is_idempotent(kind, raw):
    try:
        once = normalise(kind, raw)
    except ValueError:
        return
    assert normalise(kind, once) == once
