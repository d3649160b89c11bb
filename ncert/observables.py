"""Indicator types and value normalisation.

Every adapter normalises through here so that the same observable reported
through STIX, MISP, CSV or the REST API meets itself in the database, keyed by
(type, normalised value). Type names follow STIX 2.1 cyber-observable names
where one exists.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit, urlunsplit

HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
# "stix-pattern" keeps a STIX pattern that is not one simple comparison
# (STIX 2.1 §9), so it can still be matched and shared as a whole.
INDICATOR_TYPES = ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", *HASH_LENGTHS, "cve", "stix-pattern")
MAX_VALUE_LENGTH = 2048

_HEX = re.compile(r"^[0-9a-f]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
# A dotted quad without leading zeros is already what ipaddress would return;
# matching it first spares the (slow) ipaddress parse on the hot intake path.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"(?:{_OCTET}\.){{3}}{_OCTET}")


def normalise(kind: str, value: str) -> str:
    """Return the canonical form of ``value`` or raise ValueError saying why not."""
    if kind not in INDICATOR_TYPES:
        raise ValueError(f"unknown indicator type {kind!r}; expected one of {', '.join(INDICATOR_TYPES)}")
    value = value.strip()
    if not value:
        raise ValueError("indicator value is empty")
    if "\x00" in value:  # no database text column can hold it
        raise ValueError("indicator value contains a NUL character")
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueError(f"indicator value longer than {MAX_VALUE_LENGTH} characters")
    return _NORMALISERS[kind](value)


def _ip(version: int):
    def norm(value: str) -> str:
        if version == 4 and _CANONICAL_IPV4.fullmatch(value):
            return value
        try:
            net = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv{version} address or network") from None
        if net.version != version:
            raise ValueError(f"{value!r} is not an IPv{version} address or network")
        return str(net.network_address) if net.num_addresses == 1 else str(net)

    return norm


def _domain(value: str) -> str:
    host = value.rstrip(".").lower()
    if not host.isascii():  # IDNA only changes non-ASCII names; the label check below covers the rest
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{value!r} is not a valid domain name") from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"{value!r} is not a valid domain name")
    return host


def _url(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"{value!r} is not an absolute URL")
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        host = _domain(host) if "." in host else host.lower()
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or " " in local:
        raise ValueError(f"{value!r} is not an e-mail address")
    return f"{local.lower()}@{_domain(domain)}"


def _hash(kind: str):
    def norm(value: str) -> str:
        v = value.lower()
        if len(v) != HASH_LENGTHS[kind] or not _HEX.match(v):
            raise ValueError(f"{value!r} is not a {kind} hash ({HASH_LENGTHS[kind]} hex digits)")
        return v

    return norm


def _cve(value: str) -> str:
    v = value.upper()
    if not _CVE.match(v):
        raise ValueError(f"{value!r} is not a CVE id (CVE-YYYY-NNNN)")
    return v


def _pattern(value: str) -> str:
    if not (value.startswith("[") or value.startswith("(")):
        raise ValueError(f"{value!r} is not a STIX pattern")
    return value  # already stripped; spacing inside string literals is meaning


_NORMALISERS = {
    "ipv4-addr": _ip(4),
    "ipv6-addr": _ip(6),
    "domain-name": _domain,
    "url": _url,
    "email-addr": _email,
    **{kind: _hash(kind) for kind in HASH_LENGTHS},
    "cve": _cve,
    "stix-pattern": _pattern,
}


IP_TYPES = ("ipv4-addr", "ipv6-addr")


def ip_bounds(kind: str, value: str) -> tuple[bytes, bytes] | None:
    """The first and last address of a normalised IP value (an address or a network) as
    sortable bytes: the version (4 or 6) then the address, big-endian. Byte strings of one
    length compare as their numbers on both SQLite (BLOB, memcmp) and PostgreSQL (bytea),
    which holds no 128-bit integer; a version byte keeps IPv4 and IPv6 ranges apart."""
    if kind not in IP_TYPES:
        return None
    address, _, prefix = value.partition("/")
    version, family, bits = (6, socket.AF_INET6, 128) if ":" in address else (4, socket.AF_INET, 32)
    try:  # inet_pton: a tenth of ipaddress's cost, which was a fifth of a bulk load's indicator upsert
        raw = int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        raw = None
    if raw is not None and (not prefix or prefix.isdigit() and int(prefix) <= bits):
        host = (1 << (bits - (int(prefix) if prefix else bits))) - 1
        head = bytes([version])
        return head + (raw & ~host).to_bytes(bits // 8, "big"), head + (raw | host).to_bytes(bits // 8, "big")
    net = ipaddress.ip_network(value, strict=False)  # what inet_pton does not read (a netmask, a zone…)
    width = 4 if net.version == 4 else 16
    head = bytes([net.version])
    return (head + int(net.network_address).to_bytes(width, "big"),
            head + int(net.broadcast_address).to_bytes(width, "big"))


# Defanged spellings as analysts and vendors write them (hxxp, [.], (dot), [at], [://]…):
# one typed-in value; free text goes through ioc-finder's own refanging (ncert.ioc_extract).
_FANGS = (
    (re.compile(r"^(h[xX]{2}p|hxxps|meow)(s?)(?=(://|\[://\]|\[:\]//))", re.IGNORECASE), lambda m: "http" + m[2]),
    (re.compile(r"^(fxp|fxps|ftx)(?=(://|\[://\]))", re.IGNORECASE), lambda m: "ftp"),
    (re.compile(r"\[://\]|\[:\]//|\(://\)"), lambda m: "://"),
    (re.compile(r"\s*[\[\(\{]\s*(\.|dot)\s*[\]\)\}]\s*", re.IGNORECASE), lambda m: "."),
    (re.compile(r"\s*[\[\(\{]\s*(@|at)\s*[\]\)\}]\s*", re.IGNORECASE), lambda m: "@"),
    (re.compile(r"\[:\]"), lambda m: ":"),
    (re.compile(r"\\\."), lambda m: "."),
)


def refang(value: str) -> str:
    """``value`` with its defanging undone: ``hxxp://evil[.]example(.)com`` is ``http://evil.example.com``."""
    value = value.strip()
    for pattern, repl in _FANGS:
        value = pattern.sub(repl, value)
    return value


_HASH_BY_LENGTH = {length: kind for kind, length in HASH_LENGTHS.items()}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def guess(value: str) -> tuple[str, str] | None:
    """The (type, normalised value) a bare, possibly defanged value reads as, or None.

    Hashes are told apart by length (md5 32, sha1 40, sha256 64, sha512 128 hex digits),
    an address or network by ``ipaddress``, a URL by its scheme, an e-mail by its @."""
    value = refang(value)
    if not value or len(value) > MAX_VALUE_LENGTH or "\x00" in value:
        return None
    lowered = value.lower()
    if _HEX.match(lowered) and len(lowered) in _HASH_BY_LENGTH:
        return _HASH_BY_LENGTH[len(lowered)], lowered
    if _CVE.match(value.upper()):
        return "cve", value.upper()
    for kind in IP_TYPES:
        try:
            return kind, normalise(kind, value)
        except ValueError:
            pass
    candidates = ("url",) if "://" in value else ("email-addr",) if _EMAIL.match(value) else ("domain-name",)
    for kind in candidates:
        try:
            return kind, normalise(kind, value)
        except ValueError:
            return None
    return None
