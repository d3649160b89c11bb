"""Indicators found in free text (an e-mail, a vendor report), typed, refanged and normalised.

The finding is ioc-finder's (https://github.com/fhightower/ioc-finder, LGPL-3.0+,
maintained; ``find_iocs``): a grammar per indicator type that also undoes
defanging (``hxxp``, ``[.]``, ``[at]``) through its ioc-fanger dependency. It
was chosen over iocextract, whose GPL-2.0-only licence cannot be combined with
ncert's AGPL-3.0-or-later and whose last release is from 2023. Each value is
then normalised as intake does (``ncert.observables``), so what the analyst
reviews is what will be stored, with the MISP warninglists it is on.

ioc-finder only knows delegated top-level domains, so names under the reserved
``.example``, ``.test`` and ``.invalid`` (RFC 2606) are not found as domains;
they can still be typed in line by line. A domain is reported only where it
stands alone, not again for every URL or e-mail address it is part of, and a
network (``10.0.0.0/24``) as the network, not its first address. The library
imports in about 0.8 s, so it is imported on first use only.
"""

from __future__ import annotations

from dataclasses import dataclass

from ncert import warninglists
from ncert.errors import Invalid
from ncert.observables import INDICATOR_TYPES, normalise

MAX_TEXT = 200_000  # characters; a pasted report, not a log file
MAX_FOUND = 1000
TRAILING = ".,;:!?'\")]}>"

# ioc-finder's result keys → ncert types, in the order the review lists them.
KINDS = {
    "urls": "url", "domains": "domain-name", "ipv4s": "ipv4-addr", "ipv4_cidrs": "ipv4-addr",
    "ipv6s": "ipv6-addr", "ipv6_cidrs": "ipv6-addr", "email_addresses": "email-addr",
    "md5s": "md5", "sha1s": "sha1", "sha256s": "sha256", "sha512s": "sha512", "cves": "cve",
}


@dataclass(frozen=True)
class Found:
    type: str
    value: str
    warninglists: tuple[str, ...]


def extract(text: str) -> list[Found]:
    """The distinct indicators of ``text``, grouped by type in ``INDICATOR_TYPES`` order."""
    if len(text) > MAX_TEXT:
        raise Invalid(f"the text is longer than {MAX_TEXT} characters")
    from ioc_finder import find_iocs

    found = find_iocs(text, parse_domain_from_url=False, parse_domain_from_email_address=False,
                      parse_address_from_cidr=False, parse_urls_without_scheme=False,
                      included_ioc_types=list(KINDS))
    values: dict[tuple[str, str], None] = {}
    for key, kind in KINDS.items():
        for raw in found.get(key, ()):
            if kind == "url":  # the sentence's punctuation, which ioc-finder keeps as URL characters
                raw = raw.rstrip(TRAILING)
            try:
                values[(kind, normalise(kind, raw))] = None
            except ValueError:
                continue  # ioc-finder's grammar is looser than intake's in places: what intake refuses is left out
    ordered = sorted(values, key=lambda v: INDICATOR_TYPES.index(v[0]))[:MAX_FOUND]
    return [Found(kind, value, warninglists.matches(kind, value)) for kind, value in ordered]
