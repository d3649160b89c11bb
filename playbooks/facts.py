"""What a playbook condition may look at about an incident.

The service layer builds a ``Facts`` from an incident, its indicators and its
organisation; conditions only ever read this frozen snapshot, never models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Facts:
    """A read-only snapshot of one incident at the moment a trigger fires.

    Any field may be unknown (``None``); a condition on an unknown fact is false.
    """

    category_class: str | None = None  # ENISA RSIT class, e.g. "malicious-code"
    category_type: str | None = None  # RSIT type, e.g. "infected-system"
    # Whether a person chose the category (the reporter, or an operator confirming or correcting the
    # categoriser): false while it is uncategorised or the categoriser's unconfirmed suggestion.
    category_confirmed: bool | None = None
    sector: str | None = None  # slug of the reporting organisation's sector
    sector_criticality: int | None = None  # 1 (low) … 5 (vital)
    affected_sectors: frozenset[str] = field(default_factory=frozenset)
    severity: int | None = None  # national level 0 (Baseline) … 5 (Emergency), never the reporter's hint alone
    severity_hint: int | None = None  # the reporter's own hint, as given (0 … 5)
    tlp: str | None = None  # TLP 2.0 label, e.g. "TLP:AMBER+STRICT"
    indicator_count: int = 0
    sighting_count: int = 0
    sectors_sharing_indicator: int = 0  # max over the incident's indicators
    anomaly_score: float | None = None  # 0 … 1
    text: str = ""  # title and description
    reporter_kind: str | None = None  # ncert.taxonomy.OrgKind value
    entity_class: str | None = None  # NIS2 "essential" / "important" / None
    reported_at: datetime | None = None
    aware_at: datetime | None = None
    now: datetime | None = None  # the evaluation time; "within" tests are relative to it

    @property
    def category(self) -> str | None:
        """The RSIT pair as ``class/type``."""
        if self.category_class is None or self.category_type is None:
            return None
        return f"{self.category_class}/{self.category_type}"
