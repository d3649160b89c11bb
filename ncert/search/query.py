"""What a search asks (``SearchQuery``) and what it answers (``SearchResult``), for every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ncert.errors import BadRequest
from ncert.i18n import N_
from ncert.observables import INDICATOR_TYPES
from ncert.taxonomy import TLP, Status

AGGREGATIONS = ("over_time", "sector", "category", "severity")  # counts over time, by sector, category, severity
INTERVALS = ("day", "week", "month")  # buckets of "over_time", keyed by their first day (weeks start on Monday)
SORTS = ("reported_at", "updated_at", "severity")
MAX_LIMIT = 500


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None
    status: tuple[Status, ...] = ()
    sector: tuple[str, ...] = ()  # reporting or affected sector slugs
    category: str | None = None  # "class" or "class/type" (RSIT)
    severity: tuple[int, ...] = ()  # the severity the actor sees (ncert.access.severity_column)
    tlp: tuple[TLP, ...] = ()
    org: str | None = None  # the reporting organisation's slug
    reported_after: datetime | None = None
    reported_before: datetime | None = None
    sort: str = "-reported_at"
    limit: int = 50
    cursor: str | None = None
    highlight: bool = False
    aggregations: tuple[str, ...] = ()
    interval: str = "day"

    def validate(self) -> None:
        if self.sort.lstrip("-") not in SORTS:
            raise BadRequest(f"unknown sort {self.sort!r}; expected one of {', '.join(SORTS)}, "
                             "optionally prefixed with '-'")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequest(N_("limit must be between 1 and %(limit)s"), limit=MAX_LIMIT)
        unknown = [a for a in self.aggregations if a not in AGGREGATIONS]
        if unknown:
            raise BadRequest(N_("unknown aggregation '%(unknown)s'; expected some of %(expected)s"),
                             unknown=unknown[0], expected=', '.join(AGGREGATIONS))
        if self.interval not in INTERVALS:
            raise BadRequest(N_("unknown interval '%(interval)s'; expected one of %(expected)s"),
                             interval=self.interval, expected=', '.join(INTERVALS))


@dataclass(frozen=True)
class SearchResult:
    ids: list[int]  # one page, in the query's order
    next_cursor: str | None
    # id → field → the field's whole text, HTML-escaped, each matching word in <em>…</em>
    highlights: dict[int, dict[str, str]] = field(default_factory=dict)
    # aggregation → bucket key → count, keys in ascending order (sector slugs, RSIT classes,
    # severities, ISO dates of each bucket's first day). A sector counts the incidents in it as the
    # queue's sector filter finds them (reported from it or affecting it), so an incident in two
    # sectors counts in both and the sector counts can add up to more than the matches.
    aggregations: dict[str, dict[str, int]] = field(default_factory=dict)


INDICATOR_AGGREGATIONS = ("type", "over_time")  # counts by indicator type, and over time of last seen
INDICATOR_SORTS = ("last_seen", "value")


@dataclass(frozen=True)
class IndicatorQuery:
    """Indicators by value, type and dates. ``text``: values (defanged spellings refanged, normalised
    as intake stores them, ``observables.guess``), each an exact value, a prefix of domain or URL
    values, or a CIDR holding IP values; any of them matches, and text naming no value matches none.
    Dates are those the actor knows (``ncert.search.indicators``)."""

    text: str | None = None
    type: tuple[str, ...] = ()
    first_seen_after: datetime | None = None  # each bound inclusive
    first_seen_before: datetime | None = None
    last_seen_after: datetime | None = None
    last_seen_before: datetime | None = None
    sort: str = "-last_seen"
    limit: int = 50
    cursor: str | None = None
    aggregations: tuple[str, ...] = ()
    interval: str = "day"

    def validate(self) -> None:
        if self.sort.lstrip("-") not in INDICATOR_SORTS:
            raise BadRequest(f"unknown sort {self.sort!r}; expected one of {', '.join(INDICATOR_SORTS)}, "
                             "optionally prefixed with '-'")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequest(N_("limit must be between 1 and %(limit)s"), limit=MAX_LIMIT)
        if set(self.type) - set(INDICATOR_TYPES):
            raise BadRequest(N_("unknown indicator type; expected some of %(expected)s"),
                             expected=', '.join(INDICATOR_TYPES))
        unknown = [a for a in self.aggregations if a not in INDICATOR_AGGREGATIONS]
        if unknown:
            raise BadRequest(f"unknown aggregation {unknown[0]!r}; expected some of "
                             f"{', '.join(INDICATOR_AGGREGATIONS)}")
        if self.interval not in INTERVALS:
            raise BadRequest(N_("unknown interval '%(interval)s'; expected one of %(expected)s"),
                             interval=self.interval, expected=', '.join(INTERVALS))


STIX_AGGREGATIONS = ("type", "collection")  # counts by STIX type and by collection alias
STIX_SORTS = ("modified", "date_added")


@dataclass(frozen=True)
class StixQuery:
    """The latest versions of STIX objects in the TAXII collections the actor may read, as TAXII
    serves them (``ncert.access.scope_stix``). ``text``: words that must each start a word of the
    object's name or pattern; ``collection``: an alias or id; ``modified`` is the version
    (``modified``, else ``created``; bounds inclusive)."""

    text: str | None = None
    type: tuple[str, ...] = ()
    collection: str | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    sort: str = "-modified"
    limit: int = 50
    cursor: str | None = None
    aggregations: tuple[str, ...] = ()

    def validate(self) -> None:
        if self.sort.lstrip("-") not in STIX_SORTS:
            raise BadRequest(f"unknown sort {self.sort!r}; expected one of {', '.join(STIX_SORTS)}, "
                             "optionally prefixed with '-'")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequest(N_("limit must be between 1 and %(limit)s"), limit=MAX_LIMIT)
        unknown = [a for a in self.aggregations if a not in STIX_AGGREGATIONS]
        if unknown:
            raise BadRequest(N_("unknown aggregation '%(unknown)s'; expected some of %(expected)s"),
                             unknown=unknown[0], expected=', '.join(STIX_AGGREGATIONS))
