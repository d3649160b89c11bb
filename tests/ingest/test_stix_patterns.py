"""Indicator patterns: the fast path agrees with stix2-patterns, and simple observables come out normalised."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stix2patterns.validator import run_validator

from ingest.stix import pattern_errors, simple_observables
from ingest.stix.patterns import SLOW_PATTERN_MAX
from ncert.observables import normalise

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" \
         "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"


@pytest.mark.parametrize("pattern,observables", [
    ("[ipv4-addr:value = '198.51.100.1']", [("ipv4-addr", "198.51.100.1")]),
    ("[ipv4-addr:value = '198.51.100.0/24']", [("ipv4-addr", "198.51.100.0/24")]),
    ("[ipv6-addr:value = '2001:DB8::0:1']", [("ipv6-addr", "2001:db8::1")]),
    ("[domain-name:value = 'Evil.Example.COM.']", [("domain-name", "evil.example.com")]),
    ("[url:value = 'HTTP://Evil.Example.com/a?b=1']", [("url", "http://evil.example.com/a?b=1")]),
    ("[email-addr:value = 'CEO@Example.org']", [("email-addr", "ceo@example.org")]),
    (f"[file:hashes.MD5 = '{MD5.upper()}']", [("md5", MD5)]),
    (f"[file:hashes.'MD5' = '{MD5}']", [("md5", MD5)]),
    (f"[file:hashes.'SHA-1' = '{SHA1}']", [("sha1", SHA1)]),
    (f"[file:hashes.'SHA-256' = '{SHA256}']", [("sha256", SHA256)]),
    (f"[file:hashes.SHA256 = '{SHA256}']", [("sha256", SHA256)]),
    (f"[file:hashes.'SHA-512' = '{SHA512}']", [("sha512", SHA512)]),
    ("[url:value = 'http://x.example/it\\'s\\\\here']", [("url", "http://x.example/it's\\here")]),
    ("[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2']",
     [("ipv4-addr", "198.51.100.1"), ("ipv4-addr", "198.51.100.2")]),
    (f"[file:hashes.MD5 = '{MD5}' AND file:hashes.'SHA-1' = '{SHA1}']", [("md5", MD5), ("sha1", SHA1)]),
    ("[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'c2.example.net']OR[url:value = 'http://c2.example.net/']",
     [("ipv4-addr", "198.51.100.1"), ("domain-name", "c2.example.net"), ("url", "http://c2.example.net/")]),
    ("  [ domain-name:value='c2.example.net' ]\n", [("domain-name", "c2.example.net")]),
    ("[domain-name:value = 'c2.example.net'] OR [domain-name:value = 'C2.example.net']",
     [("domain-name", "c2.example.net")]),
])
def test_simple_patterns_give_their_observables_normalised(pattern, observables):
    assert simple_observables(pattern) == observables
    assert pattern_errors(pattern) == run_validator(pattern) == []


@pytest.mark.parametrize("pattern", [
    "[ipv4-addr:value = '198.51.100.1'] AND [ipv4-addr:value = '198.51.100.2']",  # both must be seen
    "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.2']",
    "[ipv4-addr:value != '198.51.100.1']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[domain-name:value LIKE '%.example.net']",
    "[ipv4-addr:value = '198.51.100.1'] WITHIN 600 SECONDS",
    "([ipv4-addr:value = '198.51.100.1'])",
    "[file:name = 'gridsvc.exe']",
    "[file:hashes.'SHA3-256' = '" + SHA256 + "']",
    "[network-traffic:dst_ref.value = '198.51.100.1']",
    "[domain-name:value = 'c2.example.net' OR file:name = 'a.exe']",
    "[ipv4-addr:value = 'not an address']",
    "[domain-name:value = 'localhost']",
    "[ipv4-addr:value = '198.51.100.1'] // trailing comment",
])
def test_other_valid_patterns_are_not_simple(pattern):
    assert simple_observables(pattern) is None
    assert pattern_errors(pattern) == run_validator(pattern) == []


@pytest.mark.parametrize("pattern", [
    "ipv4-addr:value = '198.51.100.1'",
    "[ipv4-addr:value = '198.51.100.1'",
    "[ipv4-addr:value = 198.51.100.1]",
    "[ipv4-addr:value = \"198.51.100.1\"]",
    "[ipv4-addr:value = 'a\\n']",
    "[ipv4-addr:value = 'a' or ipv4-addr:value = 'b']",
    "[ipv4-addr:value = 'a'] or [ipv4-addr:value = 'b']",
    "[AND:value = 'a']",
    "[true:value = 'a']",
    "[1file:name = 'a']",
    "[file:name-x = 'a']",
    "[file:hashes.MD5 = 'abc']",
    "[file:hashes.'SHA-256' = '" + SHA256[:-1] + "']",
    "[file:hashes.'SHA-1' = '" + SHA256 + "']",
    "[file:hashes.'SHA-512' = '" + SHA512 + "0']",
    "[]",
])
def test_invalid_patterns_are_refused_like_stix2_patterns_does(pattern):
    expected = [error.removeprefix("FAIL: ") for error in run_validator(pattern)]
    assert expected
    assert pattern_errors(pattern) == expected
    assert simple_observables(pattern) is None


@pytest.mark.parametrize("pattern,error", [
    ("", "the pattern is empty"),  # stix2-patterns itself fails with UnboundLocalError here
    (" \n", "the pattern is empty"),
    ("(" * 2000 + "[a:b = 'c']" + ")" * 2000, "stix2-patterns could not parse it (RecursionError)"),
])
def test_patterns_that_crash_stix2_patterns_are_refused(pattern, error):
    assert pattern_errors(pattern) == [error]


def test_a_pattern_beyond_the_slow_path_cap_is_refused_without_parsing_it():
    slow = " AND ".join(f"[file:name MATCHES '^a{i}$']" for i in range(400))
    assert len(slow) > SLOW_PATTERN_MAX
    assert pattern_errors(slow) == [f"it is {len(slow):,} characters long; beyond simple equality comparisons, "
                                    "patterns of up to 8,192 characters are accepted"]
    simple = " OR ".join(f"[ipv4-addr:value = '10.0.{i // 256}.{i % 256}']" for i in range(600))
    assert len(simple) > SLOW_PATTERN_MAX and pattern_errors(simple) == []  # the fast path has no cap


# Generated patterns around the edges of the fast path: object types and
# paths that are and are not simple, keywords used as names, hashes of right
# and wrong lengths, escaped and unescaped quotes and backslashes, odd
# whitespace and every way of joining comparisons and observations.
SIMPLE_PATHS = {
    ("ipv4-addr", "value"): "ipv4-addr", ("ipv6-addr", "value"): "ipv6-addr",
    ("domain-name", "value"): "domain-name", ("url", "value"): "url", ("email-addr", "value"): "email-addr",
    ("file", "hashes.MD5"): "md5", ("file", "hashes.'MD5'"): "md5", ("file", "hashes.'SHA-1'"): "sha1",
    ("file", "hashes.'SHA-256'"): "sha256", ("file", "hashes.SHA256"): "sha256", ("file", "hashes.'SHA-512'"): "sha512",
}
OTHER_PATHS = [
    ("file", "name"), ("file", "hashes.md5"), ("file", "hashes.'SHA3-256'"), ("file", "hashes.SSDEEP"),
    ("x-custom", "hashes.MD5"), ("x-custom", "value"), ("x_custom", "'quoted key'"), ("network-traffic", "dst_ref.value"),
    ("AND", "value"), ("true", "value"), ("TRUE", "value"), ("file", "IN"), ("file", "x.AND"), ("_file", "_x"),
    ("file-", "value"), ("1file", "value"), ("file", "name-x"), ("file", "'hashes'.MD5"), ("file", "hashes.'md-5'"),
]
WHITESPACE = ["", " ", " ", " ", "  ", "\t", "\r\n", "\u00a0", "\u2003"]
FITTING = {
    "ipv4-addr": ["198.51.100.7", "10.0.0.0/8", "010.1.1.1", "256.1.1.1"],
    "ipv6-addr": ["2001:DB8::1", "::1", "2001:db8::/32"],
    "domain-name": ["c2.example.net", "Mixed.Example.COM.", "b\u00fccher.example", "-bad-.example"],
    "url": ["http://c2.example.net/x?a=1", "HTTPS://Evil.Example.com/it's", "/relative"],
    "email-addr": ["ceo@example.org", "CEO@Example.ORG", "no-at-sign"],
    "md5": [MD5, MD5.upper(), MD5[:-1], SHA1],
    "sha1": [SHA1, SHA1.upper(), SHA1 + "a", MD5],
    "sha256": [SHA256, SHA256.upper(), SHA256[:-1], "g" * 64],
    "sha512": [SHA512, SHA512.upper(), SHA512 + "0", SHA256],
}


@st.composite
def comparisons(draw):
    object_type, path = draw(st.sampled_from([*SIMPLE_PATHS] * 4 + OTHER_PATHS))
    kind = SIMPLE_PATHS.get((object_type, path))
    text = st.text(alphabet=st.sampled_from("ab.:/@-' \\\n\u00e9"), max_size=12)
    value = draw(st.sampled_from(FITTING[kind]) | text if kind else text)
    escape = draw(st.sampled_from([True] * 5 + [False])) or "'" not in value and "\\" not in value
    literal = value.replace("\\", "\\\\").replace("'", "\\'") if escape else value
    operator = draw(st.sampled_from(["="] * 8 + ["!=", "LIKE"]))
    ws = draw(st.sampled_from(WHITESPACE))
    pattern = f"{object_type}:{path}{ws}{operator}{ws}'{literal}'"
    simple = kind is not None and operator == "=" and escape and ws in ("", " ", "  ", "\t", "\r\n")
    return pattern, (kind, value), simple


@st.composite
def patterns(draw):
    observations, expected, simple = [], [], True
    for _ in range(draw(st.integers(1, 2))):
        parts = draw(st.lists(comparisons(), min_size=1, max_size=2))
        joins = draw(st.lists(st.sampled_from([" AND ", " OR "] * 4 + [" or ", "AND"]), min_size=len(parts) - 1,
                              max_size=len(parts) - 1))
        body = parts[0][0] + "".join(join + part[0] for join, part in zip(joins, parts[1:]))
        observations.append(f"[{draw(st.sampled_from(['', ' ', chr(10)]))}{body}]")
        expected += [part[1] for part in parts]
        simple = simple and all(part[2] for part in parts) and all(j in (" AND ", " OR ") for j in joins)
    joins = draw(st.lists(st.sampled_from([" OR ", "OR"] * 3 + [" AND ", " FOLLOWEDBY "]),
                          min_size=len(observations) - 1, max_size=len(observations) - 1))
    simple = simple and all(join.strip() == "OR" for join in joins)
    pattern = observations[0] + "".join(join + obs for join, obs in zip(joins, observations[1:]))
    return pattern, expected, simple


@settings(max_examples=400, deadline=None)
@given(patterns())
def test_fast_path_and_stix2_patterns_agree_on_generated_patterns(generated):
    pattern, expected, simple = generated
    reference = run_validator(pattern)
    assert bool(pattern_errors(pattern)) == bool(reference), reference
    observables = simple_observables(pattern)
    if observables is not None:
        assert not reference
    if simple:
        try:
            normalised = list(dict.fromkeys((kind, normalise(kind, value)) for kind, value in expected))
        except ValueError:
            normalised = None
        assert observables == normalised
