"""MISP attribute types ↔ ncert indicator types.

MISP types and their categories are those of MISP's ``describeTypes``
(PyMISP ``pymisp/data/describeTypes.json``; https://www.misp-project.org/datamodels/).
Composite types hold ``a|b`` values: ``ip-dst|port`` contributes its IP,
``filename|sha256`` and ``malware-sample`` (``filename|md5``) their hash,
``domain|ip`` both parts. Values go through ``ncert.observables.normalise``;
what does not normalise (a relative ``uri``, a malformed hash) is not an
indicator and stays context.
"""

from __future__ import annotations

from ncert.observables import HASH_LENGTHS, normalise

_IP = "ip"  # IPv4 or IPv6, decided by the value
_SKIP = None  # a part of a composite value that is not an indicator (port, filename)

# MISP type → the indicator type of each ``|``-separated part of its value.
PARTS: dict[str, tuple[str | None, ...]] = {
    "ip-src": (_IP,),
    "ip-dst": (_IP,),
    "ip-src|port": (_IP, _SKIP),
    "ip-dst|port": (_IP, _SKIP),
    "domain": ("domain-name",),
    "hostname": ("domain-name",),
    "domain|ip": ("domain-name", _IP),
    "hostname|port": ("domain-name", _SKIP),
    "url": ("url",),
    "uri": ("url",),
    "email": ("email-addr",),
    "email-src": ("email-addr",),
    "email-dst": ("email-addr",),
    "email-reply-to": ("email-addr",),
    **{kind: (kind,) for kind in HASH_LENGTHS},
    **{f"filename|{kind}": (_SKIP, kind) for kind in HASH_LENGTHS},
    "malware-sample": (_SKIP, "md5"),
    "vulnerability": ("cve",),
    "stix2-pattern": ("stix-pattern",),
}

# ncert indicator type → (MISP type, MISP category) for rendering; the
# categories are ones describeTypes allows for the type.
MISP_TYPE: dict[str, tuple[str, str]] = {
    "ipv4-addr": ("ip-dst", "Network activity"),
    "ipv6-addr": ("ip-dst", "Network activity"),
    "domain-name": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "email-addr": ("email-src", "Payload delivery"),
    **{kind: (kind, "Payload delivery") for kind in HASH_LENGTHS},
    "cve": ("vulnerability", "External analysis"),
    "stix-pattern": ("stix2-pattern", "Network activity"),
}


def indicator_pairs(misp_type: str, value: object) -> list[tuple[str, str]]:
    """(indicator type, normalised value) pairs of one attribute; empty when none normalise."""
    parts = PARTS.get(misp_type)
    if parts is None or not isinstance(value, str):
        return []
    # A stix2-pattern may contain "|"; composite types split on the last ones.
    values = [value] if len(parts) == 1 else value.rsplit("|", len(parts) - 1)
    if len(values) != len(parts):
        return []
    pairs = []
    for kind, part in zip(parts, values):
        if kind is _SKIP:
            continue
        pair = _normalised(kind, part)
        if pair:
            pairs.append(pair)
    return pairs


def _normalised(kind: str, value: str) -> tuple[str, str] | None:
    for candidate in ("ipv4-addr", "ipv6-addr") if kind == _IP else (kind,):
        try:
            return candidate, normalise(candidate, value)
        except ValueError:
            continue
    return None


def misp_type_of(indicator_type: str) -> tuple[str, str]:
    """(MISP type, category) to render an ncert indicator type; KeyError for unknown types."""
    return MISP_TYPE[indicator_type]
