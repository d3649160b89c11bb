"""Controlled vocabularies: TLP 2.0, ENISA RSIT, roles, organisation kinds,
incident statuses and national severity levels.

Sources: FIRST TLP 2.0 (https://www.first.org/tlp/); ENISA Reference Security
Incident Taxonomy, machine-readable v1003 as in misp-taxonomies `rsit`
(https://github.com/enisaeu/Reference-Security-Incident-Taxonomy-Task-Force);
CISA NCISS priority levels (https://www.cisa.gov/nciss/demo).
"""

from __future__ import annotations

import enum


class TLP(enum.StrEnum):
    """TLP 2.0 labels, written exactly as the standard writes them.

    Ordered from least to most restrictive; ``rank`` compares restrictiveness.
    """

    CLEAR = "TLP:CLEAR"
    GREEN = "TLP:GREEN"
    AMBER = "TLP:AMBER"
    AMBER_STRICT = "TLP:AMBER+STRICT"
    RED = "TLP:RED"

    @property
    def rank(self) -> int:
        return list(TLP).index(self)

    @classmethod
    def parse(cls, text: str) -> "TLP":
        """Accept a TLP 2.0 label, case-insensitively, and the legacy TLP 1.0 WHITE."""
        norm = text.strip().upper().replace(" ", "")
        if not norm.startswith("TLP:"):
            norm = "TLP:" + norm
        if norm == "TLP:WHITE":
            return cls.CLEAR
        for member in cls:
            if member.value == norm:
                return member
        raise ValueError(f"unknown TLP label {text!r}; expected one of {', '.join(t.value for t in cls)}")


RSIT: dict[str, tuple[str, ...]] = {
    "abusive-content": ("spam", "harmful-speech", "violence"),
    "malicious-code": ("infected-system", "c2-server", "malware-distribution", "malware-configuration"),
    "information-gathering": ("scanner", "sniffing", "social-engineering"),
    "intrusion-attempts": ("ids-alert", "brute-force", "exploit"),
    "intrusions": (
        "privileged-account-compromise",
        "unprivileged-account-compromise",
        "application-compromise",
        "system-compromise",
        "burglary",
    ),
    "availability": ("dos", "ddos", "misconfiguration", "sabotage", "outage"),
    "information-content-security": (
        "unauthorised-information-access",
        "unauthorised-information-modification",
        "data-loss",
        "data-leak",
    ),
    "fraud": ("unauthorised-use-of-resources", "copyright", "masquerade", "phishing"),
    "vulnerable": (
        "weak-crypto",
        "ddos-amplifier",
        "potentially-unwanted-accessible",
        "information-disclosure",
        "vulnerable-system",
    ),
    "other": ("other", "undetermined"),
    "test": ("test",),
}

UNCATEGORISED = ("other", "undetermined")


def validate_category(rsit_class: str, rsit_type: str) -> None:
    """Raise ValueError unless (class, type) is an RSIT pair."""
    types = RSIT.get(rsit_class)
    if types is None:
        raise ValueError(f"unknown RSIT class {rsit_class!r}")
    if rsit_type not in types:
        raise ValueError(f"RSIT class {rsit_class!r} has no type {rsit_type!r}; expected one of {', '.join(types)}")


class Role(enum.StrEnum):
    SECTOR_ANALYST = "sector_analyst"
    SOC_OPERATOR = "soc_operator"
    LEADERSHIP = "leadership"
    ADMIN = "admin"

    @property
    def is_national(self) -> bool:
        """National-centre staff are recipients of everything reported to it."""
        return self is not Role.SECTOR_ANALYST


class OrgKind(enum.StrEnum):
    STATE_BODY = "state-body"
    PRIVATE_OPERATOR = "private-operator"
    CIVIL_SOCIETY = "civil-society"
    SECTOR_CERT = "sector-cert"
    INTERNATIONAL_PARTNER = "international-partner"


class Status(enum.StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


OPEN_STATUSES = (Status.NEW, Status.TRIAGED, Status.INVESTIGATING, Status.CONTAINED)

# Allowed moves of the lifecycle. Going back one step is allowed while the
# incident is open (a mis-click or new evidence); `closed` and `resolved` leave
# only through reopen, and `merged` only through unmerge (not offered yet).
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.NEW: (Status.TRIAGED, Status.INVESTIGATING, Status.RESOLVED, Status.CLOSED),
    Status.TRIAGED: (Status.NEW, Status.INVESTIGATING, Status.CONTAINED, Status.RESOLVED, Status.CLOSED),
    Status.INVESTIGATING: (Status.TRIAGED, Status.CONTAINED, Status.RESOLVED, Status.CLOSED),
    Status.CONTAINED: (Status.INVESTIGATING, Status.RESOLVED, Status.CLOSED),
    Status.RESOLVED: (Status.CLOSED,),
    Status.CLOSED: (),
    Status.MERGED: (),
}

# Reopen brings a resolved or closed incident back into the queue.
REOPENABLE = (Status.RESOLVED, Status.CLOSED)

SEVERITY_LEVELS: dict[int, str] = {
    0: "Baseline",
    1: "Low",
    2: "Medium",
    3: "High",
    4: "Severe",
    5: "Emergency",
}
