"""MISP warninglists: values known to be benign or too common to mean anything.

The lists come from the ``pymispwarninglists`` wheel, which ships the
misp-warninglists repository's ``lists/*/list.json`` as package data
(``pymispwarninglists/data/misp-warninglists``), so nothing is fetched at run
time; a newer wheel brings newer lists. Each list has a matching type
(https://github.com/MISP/misp-warninglists#format: ``string`` exact,
``substring``, ``hostname`` the name or any subdomain of it, ``cidr``,
``regex``) and the MISP attribute types it applies to; an ncert type is
checked against the lists for its MISP types (``MISP_TYPES``).

Cost: the package's own ``WarningLists()`` parses every list and builds a set
for each (3 s and 350 MB of resident memory for its 2.5 million entries with
pymispwarninglists 1.7.0 on this 2-core machine), and importing the package
pulls in jsonschema when it is installed. So ncert reads the JSON itself
(``lists_dir`` finds it without importing the package), once per process and
only when a value is first checked (``index()``), and leaves out ``SKIPPED``:
two popularity rankings of a million names each. Measured the same way: 0.8 s
on a quiet machine (1.8-2.1 s at load average 11), 108 MB resident once loaded
(about 200 MB at the peak while parsing). A process that never checks a value
(``ncert --help``, most CLI commands, a test that submits no indicator) never
pays it; ``tests/ingest/test_warninglists.py`` checks that.
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ncert.observables import ip_bounds

# A top-million ranking says a name is popular, not that it is benign (hosting and
# file-sharing names rank high and carry phishing); they alone would double the load cost.
SKIPPED = frozenset({"tranco", "google-chrome-crux-1million"})

# RFC 5737 documentation and RFC 2544 benchmarking networks, and RFC 3849's IPv6 documentation
# prefix, stand in for real addresses in ncert's tests, demo and traffic simulator (the RFCs reserve
# them for exactly that). The rfc5735/rfc3849 lists would mark every such stand-in benign and so
# take it out of correlation; a real report carries them only as an example, so they stay unmarked.
STAND_INS = tuple(_bounds for _net in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15",
                                       "2001:db8::/32")
                  if (_bounds := ip_bounds("ipv6-addr" if ":" in _net else "ipv4-addr", _net)))

MISP_TYPES = {  # ncert type → the MISP attribute types whose lists apply to it
    "ipv4-addr": ("ip-src", "ip-dst"),
    "ipv6-addr": ("ip-src", "ip-dst"),
    "domain-name": ("domain", "hostname"),
    "url": ("url",),
    "email-addr": ("email-src", "email-dst"),
    "md5": ("md5",),
    "sha1": ("sha1",),
    "sha256": ("sha256",),
    "sha512": ("sha512",),
}


def lists_dir() -> Path:
    """The wheel's list directory, found without importing the package (whose import pulls
    in jsonschema when installed: seconds, for an API ncert does not use)."""
    spec = importlib.util.find_spec("pymispwarninglists")
    return Path(spec.origin).parent / "data" / "misp-warninglists" / "lists"


@dataclass
class WarningList:
    name: str
    kind: str
    applies_to: frozenset[str]
    entries: frozenset[str] = frozenset()
    lengths: tuple[int, ...] = ()  # of the substrings of a substring list (its entries)
    patterns: tuple[re.Pattern, ...] = ()
    ranges: dict[int, tuple[list[bytes], list[bytes]]] = field(default_factory=dict)  # version → (starts, ends)

    def holds(self, kind: str, value: str, bounds: tuple[bytes, bytes] | None = None) -> bool:
        if self.kind == "cidr":
            return bounds is not None and self._covers(bounds)
        if self.kind == "substring" and len(self.entries) <= len(value) * len(self.lengths):
            return any(s in value for s in self.entries)
        if self.kind == "substring":  # each slice of a listed length, looked up (disposable-email has 4,941)
            return not self.entries.isdisjoint(value[i:i + n] for n in self.lengths for i in range(len(value) - n + 1))
        if self.kind == "regex":
            return any(p.search(value) for p in self.patterns)
        if kind == "url":  # the whole URL, then its host as a domain
            host = _host(value)
            return value in self.entries or (host is not None and self.holds("domain-name", host))
        if self.kind == "hostname":
            labels = value.split(".")
            return any(".".join(labels[i:]) in self.entries for i in range(len(labels)))
        return value in self.entries

    def _covers(self, bounds: tuple[bytes, bytes]) -> bool:
        first, last = bounds
        starts, ends = self.ranges.get(first[0], ((), ()))
        i = bisect.bisect_right(starts, first) - 1
        return i >= 0 and last <= ends[i]


def _host(url: str) -> str | None:
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    return host if host and "." in host else None


def _load(path: Path) -> WarningList | None:
    data = orjson.loads(path.read_bytes())
    kind = data["type"]
    applies_to = frozenset(data.get("matching_attributes") or ())
    if path.parent.name in SKIPPED or not any(t in applies_to for types in MISP_TYPES.values() for t in types):
        return None
    values = [str(v).strip() for v in data["list"] if str(v).strip()]
    found = WarningList(path.parent.name, kind, applies_to)
    if kind == "cidr":
        found.ranges = _merged_ranges(values)
    elif kind == "substring":
        found.entries = frozenset(v.lower() for v in values)
        found.lengths = tuple(sorted({len(v) for v in found.entries}))
    elif kind == "regex":
        found.patterns = tuple(p for p in map(_pattern, values) if p is not None)
    else:
        found.entries = frozenset(v.lower().strip(".") for v in values)
    return found


def _merged_ranges(values: list[str]) -> dict[int, tuple[list[bytes], list[bytes]]]:
    """Each version's networks as sorted, merged [first, last] byte ranges, for a bisect."""
    spans: dict[int, list[tuple[bytes, bytes]]] = {4: [], 6: []}
    for v in values:
        bounds = _network_bounds(v)
        if bounds is not None:  # a few lists carry a stray non-address entry
            spans[bounds[0][0]].append(bounds)
    merged = {}
    for version, items in spans.items():
        starts: list[bytes] = []
        ends: list[bytes] = []
        for first, last in sorted(items):
            if ends and first <= ends[-1]:
                ends[-1] = max(ends[-1], last)
            else:
                starts.append(first)
                ends.append(last)
        merged[version] = (starts, ends)
    return merged


def _network_bounds(entry: str) -> tuple[bytes, bytes] | None:
    """``observables.ip_bounds`` of a list entry, parsed with inet_pton: ``ipaddress`` would
    take seconds over the 120,000 networks of the lists."""
    address, _, prefix = entry.partition("/")
    version, family = (6, socket.AF_INET6) if ":" in address else (4, socket.AF_INET)
    try:
        raw = int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        return None
    bits = 32 if version == 4 else 128
    length = int(prefix) if prefix.isdigit() and int(prefix) <= bits else bits
    host = (1 << (bits - length)) - 1
    head = bytes([version])
    return head + (raw & ~host).to_bytes(bits // 8, "big"), head + (raw | host).to_bytes(bits // 8, "big")


def _pattern(entry: str) -> re.Pattern | None:
    """A list's PCRE ``/…/flags`` entry as a Python pattern; one Python cannot read is left out."""
    body, flags = entry, 0
    if entry.startswith("/") and entry.rfind("/") > 0:
        body, tail = entry[1:entry.rfind("/")], entry[entry.rfind("/") + 1:]
        flags = re.IGNORECASE if "i" in tail else 0
    try:
        return re.compile(body, flags)
    except re.error:
        return None


class Index:
    """The lists of each ncert type. An address is first looked up, with one bisect, in the union of
    the type's ``cidr`` lists (``_union``): most addresses are on none, and were checked against each
    of 69 lists (25 µs, most of a bulk load's indicator upsert)."""

    def __init__(self, by_type: dict[str, tuple[WarningList, ...]]):
        self.by_type = by_type
        self._cidr = {kind: tuple(wl for wl in lists if wl.kind == "cidr") for kind, lists in by_type.items()}
        self._other = {kind: tuple(wl for wl in lists if wl.kind != "cidr") for kind, lists in by_type.items()}
        self._hostname = {kind for kind, lists in by_type.items() if any(wl.kind == "hostname" for wl in lists)}
        unions = {tuple(map(id, lists)): _union(lists) for lists in self._cidr.values()}  # IPv4's are IPv6's
        self._union = {kind: unions[tuple(map(id, lists))] for kind, lists in self._cidr.items()}

    def matches(self, kind: str, value: str) -> tuple[str, ...]:
        """Names of the lists ``value`` (normalised, of ncert type ``kind``) is on."""
        bounds = ip_bounds(kind, value)
        if bounds is not None and any(first <= bounds[0] and bounds[1] <= last for first, last in STAND_INS):
            return ()
        other = self._other.get(kind, ())
        suffixes = frozenset(_suffixes(value)) if kind != "url" and kind in self._hostname else None
        on = [wl for wl in other
              if (not suffixes.isdisjoint(wl.entries) if wl.kind == "hostname" and suffixes is not None
                  else wl.holds(kind, value, bounds))]
        if bounds is None or not _within(self._union[kind], bounds):
            return tuple(wl.name for wl in on)
        on += [wl for wl in self._cidr[kind] if wl.holds(kind, value, bounds)]
        chosen = {id(wl) for wl in on}
        return tuple(wl.name for wl in self.by_type[kind] if id(wl) in chosen)


def _suffixes(name: str) -> list[str]:
    """A name and each parent domain of it: what a ``hostname`` list matches."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _union(lists: tuple[WarningList, ...]) -> tuple[list[bytes], list[bytes]]:
    """Every range of the cidr ``lists``, merged: (sorted starts, ends)."""
    starts: list[bytes] = []
    ends: list[bytes] = []
    for first, last in sorted(span for wl in lists for version in wl.ranges.values() for span in zip(*version)):
        if ends and len(first) == len(ends[-1]) and first <= ends[-1]:
            ends[-1] = max(ends[-1], last)
        else:
            starts.append(first)
            ends.append(last)
    return starts, ends


def _within(ranges: tuple[list[bytes], list[bytes]], bounds: tuple[bytes, bytes]) -> bool:
    starts, ends = ranges
    i = bisect.bisect_right(starts, bounds[0]) - 1
    return i >= 0 and bounds[1] <= ends[i]


@functools.cache
def index() -> Index:
    """Every list, read once per process on first use."""
    lists = [wl for path in sorted(lists_dir().glob("*/list.json")) if (wl := _load(path)) is not None]
    return Index({kind: tuple(wl for wl in lists if wl.applies_to & set(types))
                  for kind, types in MISP_TYPES.items()})


def matches(kind: str, value: str) -> tuple[str, ...]:
    """Names of the warninglists a normalised value is on (none for types no list covers)."""
    if kind not in MISP_TYPES:
        return ()
    return index().matches(kind, value)
