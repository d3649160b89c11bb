"""STIX 2.1 patterns (§9, STIX Patterning): validation with a fast path, and
extraction of plain observables from simple comparison patterns.

The fast path is a strict subset of the patterning grammar (the OASIS
``STIXPattern.g4`` that ``stix2-patterns`` is generated from): observations
``[a:b = 'v' OR a:b = 'w' AND ...]`` joined by AND/OR, where every comparison
is an equality with a string literal and every path is made of identifiers and
quoted keys. Anything outside that subset, and any doubt (a hash comparison
that is not a well-formed MD5/SHA-1/SHA-256/SHA-512), goes to
``stix2patterns.validator.run_validator``, which is complete but takes a
quarter of a millisecond per pattern.
"""

from __future__ import annotations

import re

from ncert.observables import HASH_LENGTHS, normalise

# Only the four ASCII whitespace characters; the grammar's WS also has Unicode
# spaces, which therefore take the slow path.
_WS = r"[ \t\r\n]"
# Literal tokens of the v2.1 lexer; an identifier spelled like one of them
# lexes as that keyword instead (so `[AND:value = 'x']` is a syntax error).
_KEYWORDS = (
    r"(?:AND|OR|NOT|FOLLOWEDBY|LIKE|MATCHES|ISSUPERSET|ISSUBSET|EXISTS|LAST|IN"
    r"|START|STOP|SECONDS|true|false|WITHIN|REPEATS|TIMES)\b"
)
# StringLiteral: quote, then anything but quote and backslash, or \' or \\.
_STRING = r"'[^'\\]*+(?:\\['\\][^'\\]*+)*+'"
_IDENT = rf"(?!{_KEYWORDS})[A-Za-z_][A-Za-z0-9_]*"  # IdentifierWithoutHyphen
_OBJECT_TYPE = rf"(?!{_KEYWORDS})[A-Za-z_][A-Za-z0-9_-]*"  # either identifier form
_COMPONENT = rf"{_IDENT}|{_STRING}"
_COMPARISON = (
    rf"(?P<type>{_OBJECT_TYPE}):(?P<path>(?:{_COMPONENT})(?:\.(?:{_COMPONENT}))*)"
    rf"{_WS}*={_WS}*(?P<value>{_STRING})"
)
_NO_GROUPS = re.sub(r"\(\?P<\w+>", "(?:", _COMPARISON)
_OBSERVATION = rf"\[{_WS}*{_NO_GROUPS}(?:{_WS}+(?:AND|OR){_WS}+{_NO_GROUPS})*{_WS}*\]"
_ANY_JOIN = re.compile(rf"{_WS}*{_OBSERVATION}(?:{_WS}*(?:AND|OR){_WS}*{_OBSERVATION})*{_WS}*")
_OR_JOIN = re.compile(rf"{_WS}*{_OBSERVATION}(?:{_WS}*OR{_WS}*{_OBSERVATION})*{_WS}*")
_COMPARISONS = re.compile(_COMPARISON)
_SINGLE = re.compile(rf"{_WS}*\[{_WS}*{_COMPARISON}{_WS}*\]{_WS}*")  # the common case, in one match
_COMPONENTS = re.compile(_COMPONENT)
_ESCAPE = re.compile(r"\\(['\\])")

# The slow path's cost grows with the pattern (about 20 µs a character, and the
# parser recurses per nesting level): beyond this length a pattern that is not
# simple comparisons is refused instead of parsed.
SLOW_PATTERN_MAX = 8192
# hash-algorithm-ov (STIX 2.1 §10.7) names kept as indicators, keyed the way
# stix2-patterns compares them: upper case without hyphens, so that MD5,
# 'SHA-256' and SHA256 are all recognised.
_HASH_TYPES = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
_HEX = {kind: re.compile(rf"[0-9a-fA-F]{{{length}}}") for kind, length in HASH_LENGTHS.items()}
# SCO types whose `value` property is the observable itself (STIX 2.1 §6).
VALUE_TYPES = ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr")

# object type, property path as written, value, and the hash kind of a hashes path
Comparison = tuple[str, str, str, str | None]


def hash_kind(key: str) -> str | None:
    """The indicator type (md5, sha1, sha256, sha512) of a STIX ``hashes`` key, or None."""
    return _HASH_TYPES.get(key.upper().replace("-", ""))


def _literal(token: str) -> str:
    body = token[1:-1]
    return _ESCAPE.sub(r"\1", body) if "\\" in body else body


def _hash_kind(path: str) -> str | None:
    """md5/sha1/sha256/sha512 for a path ``hashes.<key>`` naming one of those, else None."""
    parts = [_literal(t) if t[0] == "'" else t for t in _COMPONENTS.findall(path)]
    if len(parts) != 2 or parts[0] != "hashes":
        return None
    return hash_kind(parts[1])


def _comparisons(pattern: str, structure: re.Pattern) -> list[Comparison] | None:
    """The comparisons of a fast-path pattern, or None when it is outside the fast path.

    A comparison whose path mentions hashes stays in the fast path only when
    it is a well-formed MD5/SHA-1/SHA-256/SHA-512, so every other hash
    comparison is judged by stix2-patterns, which checks hash formats.
    """
    single = _SINGLE.fullmatch(pattern)
    if single is not None:
        matches = (single,)
    elif structure.fullmatch(pattern) is not None:
        matches = _COMPARISONS.finditer(pattern)
    else:
        return None
    found = []
    for m in matches:
        path, value, kind = m["path"], _literal(m["value"]), None
        if "hashes" in path.lower():
            kind = _hash_kind(path)
            if kind is None or not _HEX[kind].fullmatch(value):
                return None
        found.append((m["type"], path, value, kind))
    return found


def pattern_errors(pattern: str) -> list[str]:
    """Why ``pattern`` is not a valid STIX 2.1 pattern; empty when it is."""
    if _comparisons(pattern, _ANY_JOIN) is not None:
        return []
    if not pattern.strip():
        return ["the pattern is empty"]
    if len(pattern) > SLOW_PATTERN_MAX:
        return [f"it is {len(pattern):,} characters long; beyond simple equality comparisons, "
                f"patterns of up to {SLOW_PATTERN_MAX:,} characters are accepted"]
    # The ANTLR grammar (~25 ms to import) loads with the first pattern off the fast path, not with ncert.
    from stix2patterns.validator import run_validator

    try:
        errors = run_validator(pattern, "2.1")
    except Exception as exc:  # a parser crash on hostile input (deep nesting...) refuses the pattern, not the batch
        return [f"stix2-patterns could not parse it ({type(exc).__name__})"]
    return [error.removeprefix("FAIL: ") for error in errors]


def observable_values(pattern: str) -> list[tuple[str, str]] | None:
    """The (indicator type, value as written) pairs of a simple comparison pattern, else None.

    Simple means: observations joined only by OR, each an equality over
    ipv4-addr/ipv6-addr/domain-name/url/email-addr ``value`` or a
    ``file:hashes`` MD5/SHA-1/SHA-256/SHA-512, joined by AND or OR. Types are
    ``ncert.observables.INDICATOR_TYPES`` names. Values are unescaped but not
    normalised.
    """
    comparisons = _comparisons(pattern, _OR_JOIN)
    if not comparisons:
        return None
    pairs = []
    for object_type, path, value, kind in comparisons:
        if object_type in VALUE_TYPES and path == "value":
            kind = object_type
        elif kind is None or object_type != "file":
            return None
        pairs.append((kind, value))
    return pairs


def simple_observables(pattern: str) -> list[tuple[str, str]] | None:
    """``observable_values`` normalised by ``ncert.observables.normalise``, unique, in pattern order.

    A value that does not normalise makes the pattern not simple (None).
    """
    pairs = observable_values(pattern)
    if pairs is None:
        return None
    try:
        return list(dict.fromkeys((kind, normalise(kind, value)) for kind, value in pairs))
    except ValueError:
        return None
