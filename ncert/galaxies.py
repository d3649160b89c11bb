"""MISP galaxy tags naming a malware family or an ATT&CK technique, as the landscape ranks them.

Cluster names of https://github.com/MISP/misp-galaxy, e.g.
``misp-galaxy:mitre-attack-pattern="Phishing - T1566"``.
"""

from __future__ import annotations

import re

MALWARE_GALAXIES = ("malpedia", "mitre-malware", "ransomware", "banker", "botnet", "rat", "stealer")
TECHNIQUE_GALAXIES = ("mitre-attack-pattern", "mitre-enterprise-attack-attack-pattern")
_GALAXY_TAG = re.compile(r'^misp-galaxy:([a-z0-9-]+)="(.+)"$')
_TECHNIQUE_ID = re.compile(r"\bT\d{4}(?:\.\d{3})?\b")


def term(tag: str) -> tuple[str, str] | None:
    """``("malware", family)`` or ``("technique", "T1566 Phishing")`` for a galaxy tag the landscape ranks."""
    match = _GALAXY_TAG.match(tag)
    if match is None:
        return None
    galaxy, name = match[1], match[2].strip()
    if galaxy in MALWARE_GALAXIES:
        return ("malware", name) if name else None
    if galaxy in TECHNIQUE_GALAXIES:
        technique = _TECHNIQUE_ID.search(name)
        if technique is None:
            return None
        rest = name.replace(technique[0], "").strip(" -")
        return ("technique", f"{technique[0]} {rest}".strip())
    return None
