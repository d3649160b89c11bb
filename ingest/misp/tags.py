"""MISP tags ↔ ncert TLP labels and RSIT categories.

Sources: the MISP taxonomies ``tlp``, ``rsit`` and ``ecsirt``
(https://github.com/MISP/misp-taxonomies, ``<namespace>/machinetag.json``).
A machine tag is ``namespace:predicate="value"``, or ``namespace:predicate``
for taxonomies without values such as ``tlp``
(https://www.misp-project.org/taxonomies.html).

TLP:
- TLP 2.0 tags map one to one; TLP 1.0 ``tlp:white`` reads as TLP:CLEAR,
  which replaced it (https://www.first.org/tlp/).
- ``tlp:ex:chr`` (Chatham House Rule: use freely, never name the source) is
  read as TLP:RED. It sets no audience of its own, and ncert records always
  name the reporting organisation, so the only way to keep the source
  unattributed is to keep the record within the exchange.
- ``tlp:unclear`` and unknown ``tlp:`` predicates say nothing; the caller's
  default applies. When several TLP tags are present the most restrictive wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pymisp import MISPTag

from ncert.records import Category
from ncert.taxonomy import RSIT, TLP

TLP_FOR_TAG: dict[str, TLP] = {
    "tlp:clear": TLP.CLEAR,
    "tlp:white": TLP.CLEAR,
    "tlp:green": TLP.GREEN,
    "tlp:amber": TLP.AMBER,
    "tlp:amber+strict": TLP.AMBER_STRICT,
    "tlp:red": TLP.RED,
    "tlp:ex:chr": TLP.RED,
}
# Tag colours as the MISP tlp taxonomy gives them (FIRST TLP 2.0 colours).
TLP_COLOURS: dict[TLP, str] = {
    TLP.CLEAR: "#ffffff", TLP.GREEN: "#33ff00", TLP.AMBER: "#ffc000", TLP.AMBER_STRICT: "#ffc000", TLP.RED: "#ff2b2b",
}

# ecsirt (eCSIRT.net mkVI, 2015) is RSIT's predecessor. Its classes are RSIT's;
# the types RSIT renamed or merged are paired here with the RSIT type whose
# description covers them. Pairs already valid in RSIT need no entry.
ECSIRT_TO_RSIT: dict[tuple[str, str], tuple[str, str]] = {
    **{("malicious-code", t): ("malicious-code", "infected-system") for t in (
        "virus", "worm", "trojan", "spyware", "dialer", "rootkit", "malware", "botnet-drone", "ransomware")},
    ("malicious-code", "c&c"): ("malicious-code", "c2-server"),
    ("intrusions", "bot"): ("intrusions", "system-compromise"),
    ("intrusions", "compromised"): ("intrusions", "system-compromise"),
    ("intrusions", "backdoor"): ("intrusions", "system-compromise"),
    ("intrusions", "defacement"): ("intrusions", "application-compromise"),
    ("information-content-security", "dropzone"): ("information-content-security", "data-leak"),
    ("fraud", "unauthorized-use-of-resources"): ("fraud", "unauthorised-use-of-resources"),
    ("vulnerable", "vulnerable-service"): ("vulnerable", "vulnerable-system"),
    ("other", "blacklist"): ("other", "other"),
    ("other", "unknown"): ("other", "undetermined"),
}

_MACHINE_TAG = re.compile(r'(rsit|ecsirt):([a-z-]+)="([^"]+)"')

TagLike = str | MISPTag


def _name(tag: TagLike) -> str:
    return (tag if isinstance(tag, str) else getattr(tag, "name", None) or "").strip().lower()


def tlp_of_tags(tags: Iterable[TagLike]) -> TLP | None:
    """The most restrictive TLP among ``tlp:`` tags (names or MISPTag), case-insensitively; None if none."""
    found = [TLP_FOR_TAG[name] for name in map(_name, tags) if name in TLP_FOR_TAG]
    return max(found, key=lambda tlp: tlp.rank) if found else None


def category_of_tags(tags: Iterable[TagLike]) -> Category | None:
    """The RSIT category of the first valid ``rsit:`` tag, else of the first mappable ``ecsirt:`` tag; None if none.

    ``rsit`` values are checked against ``ncert.taxonomy.RSIT``; ``ecsirt``
    pairs are RSIT pairs or translated through ``ECSIRT_TO_RSIT``.
    """
    legacy = None
    for name in map(_name, tags):
        m = _MACHINE_TAG.fullmatch(name)
        if m is None:
            continue
        namespace, pair = m[1], (m[2], m[3])
        if pair[1] not in RSIT.get(pair[0], ()):
            pair = ECSIRT_TO_RSIT.get(pair) if namespace == "ecsirt" else None
        if pair is None:
            continue
        if namespace == "rsit":
            return _category(pair)
        legacy = legacy or pair
    return _category(legacy) if legacy else None


def _category(pair: tuple[str, str]) -> Category:
    return Category.model_validate({"class": pair[0], "type": pair[1]})


def tlp_tag(tlp: TLP) -> str:
    """The TLP 2.0 MISP tag for ``tlp``, e.g. ``tlp:amber+strict``."""
    return tlp.value.lower()


def rsit_tag(category: Category) -> str:
    """The ``rsit`` machine tag for ``category``, e.g. ``rsit:malicious-code="infected-system"``."""
    return f'rsit:{category.rsit_class}="{category.type}"'
