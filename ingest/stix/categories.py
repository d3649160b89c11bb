"""Vocabulary tables from STIX to ncert: RSIT categories, severity, sectors.

Sources of the STIX side:
- incident-type-ov, incident-determination-enum and the criticality scale
  (Appendix A): Incident Core Extension 2.0 for STIX 2.1, cti-stix-common-objects
  ``extension-definition-specifications/incident-core``;
- malware-type-ov (§10.13) and industry-sector-ov (§10.10): STIX 2.1 OS;
- RSIT machine tags ``rsit:<class>="<type>"``: MISP taxonomies ``rsit``.
The ncert side is ENISA RSIT (``ncert.taxonomy.RSIT``, class and type
descriptions in the ENISA working copy) and the sector slugs of
``sector_certs/registry.yaml``. The pairings are ours: each term goes to the
RSIT type whose description covers what the term says happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ncert.records import Category
from ncert.taxonomy import RSIT

_INFECTED = ("malicious-code", "infected-system")

RSIT_FOR_TERM: dict[str, tuple[str, str]] = {
    # incident-type-ov
    "compromised-system": ("intrusions", "system-compromise"),
    "denial-of-service": ("availability", "dos"),
    "destruction": ("availability", "sabotage"),
    "equipment-loss": ("information-content-security", "data-loss"),  # RSIT: loss "e.g. by physical theft"
    "equipment-theft": ("information-content-security", "data-loss"),
    "unauthorized-access": ("information-content-security", "unauthorised-information-access"),
    "unauthorized-release": ("information-content-security", "data-leak"),
    "unauthorized-use": ("fraud", "unauthorised-use-of-resources"),
    # malware-type-ov: a host running malware is an infected system, except
    # where the malware's purpose is itself an RSIT type.
    **dict.fromkeys((
        "adware", "backdoor", "bot", "bootkit", "downloader", "dropper", "keylogger", "ransomware",
        "remote-access-trojan", "rogue-security-software", "rootkit", "screen-capture", "spyware", "trojan",
        "virus", "worm", "malware",
    ), _INFECTED),
    "wiper": ("availability", "sabotage"),
    "webshell": ("intrusions", "application-compromise"),
    "exploit-kit": ("malicious-code", "malware-distribution"),
    "resource-exploitation": ("fraud", "unauthorised-use-of-resources"),
    "ddos": ("availability", "ddos"),
    # labels commonly put on reports and incidents
    "phishing": ("fraud", "phishing"),
    "spam": ("abusive-content", "spam"),
    "scanning": ("information-gathering", "scanner"),
    "brute-force": ("intrusion-attempts", "brute-force"),
    "dos": ("availability", "dos"),
    "data-breach": ("information-content-security", "data-leak"),
    "data-leak": ("information-content-security", "data-leak"),
    "defacement": ("intrusions", "application-compromise"),
    "c2": ("malicious-code", "c2-server"),
    "command-and-control": ("malicious-code", "c2-server"),
    "account-compromise": ("intrusions", "unprivileged-account-compromise"),
}

_RSIT_TAG = re.compile(r'rsit:([a-z-]+)="?([a-z0-9-]+)"?')


def category_for(terms: Iterable[str]) -> Category | None:
    """The RSIT category named by STIX vocabulary terms or labels, or None.

    An explicit RSIT machine tag (``rsit:intrusions="system-compromise"``)
    wins; otherwise the first term found in ``RSIT_FOR_TERM``, case-insensitively.
    """
    terms = [term.strip().lower() for term in terms if isinstance(term, str)]
    for term in terms:
        m = _RSIT_TAG.fullmatch(term)
        if m and m[2] in RSIT.get(m[1], ()):
            return Category.model_validate({"class": m[1], "type": m[2]})
    for term in terms:
        if term in RSIT_FOR_TERM:
            rsit_class, rsit_type = RSIT_FOR_TERM[term]
            return Category.model_validate({"class": rsit_class, "type": rsit_type})
    return None


def severity_for(criticality: int) -> int:
    """ncert severity (0-5) for an incident-core ``criticality`` (0-100).

    Follows the extension's five-level qualitative scale (Appendix A): 0 false
    positive → 0 Baseline, 1-29 Low → 1, 30-49 Moderate → 2, 50-89 High → 3,
    90-100 Extreme → 4. Level 5 (Emergency) is a national decision and is
    never taken from a reporter's data.
    """
    for floor, severity in ((90, 4), (50, 3), (30, 2), (1, 1)):
        if criticality >= floor:
            return severity
    return 0


# industry-sector-ov → sector slugs of sector_certs/registry.yaml (NIS2 Annex
# I/II sectors). Values without a clear NIS2 counterpart are left out.
SECTOR_FOR_INDUSTRY: dict[str, str] = {
    "chemical": "chemicals",
    "communications": "telecom",
    "education": "education",
    "energy": "energy",
    "financial-services": "banking",
    "government": "government",
    "government-national": "government",
    "government-local": "public-administration",
    "government-regional": "public-administration",
    "healthcare": "health",
    "pharmaceuticals": "health",
    "infrastructure-water": "drinking-water",
    "manufacturing": "manufacturing",
    "automotive": "manufacturing",
    "non-profit": "civil-society",
    "telecommunications": "telecom",
    "transportation": "transport",
}
