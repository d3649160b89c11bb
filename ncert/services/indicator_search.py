"""Search by indicator value: which incidents carry the values a search text names.

``carrying_filter(session, text)`` is the queue's (and ``GET /incidents?q=``'s)
indicator half of a search, as a WHERE clause on Incident, or None when the text
is not a list of indicator values. Every word must read as a value
(``observables.guess``: refanged, typed, normalised as intake does); the
incidents carrying any of them match. The caller scopes the incidents
(``access.scope``): an incident matches only through its own report's link to
the value, so what an organisation finds depends on the reports it may see.

Kept fast at a million incidents by indexed lookups only, never LIKE:

* exact values (hashes of every length, domains, URLs, e-mails, CVEs, single
  addresses) through the unique (type, value) index;
* a CIDR through ``ix_indicators_ip_from``: each IP value stores its first and
  last address as sortable bytes (``observables.ip_bounds``: a version byte,
  then the address big-endian), so "addresses inside 10.0.0.0/24" is the range
  scan ``ip_from BETWEEN first AND last`` plus ``ip_to <= last``. Byte strings
  compare the same on SQLite (BLOB, memcmp) and PostgreSQL (bytea), and no
  128-bit integer type is needed for IPv6. A network value (10.0.0.0/28) is
  found by a query covering it; a single-address query does not find networks
  containing it (that would need an interval index).

The matching values' carriers are then read along ix_incident_indicators_indicator.
Up to ``MAX_CARRIERS`` of them become an id list, which both engines OR with the
text index's own match; past that (a value on thousands of incidents), or past
``MAX_INDICATORS`` values in a CIDR, the clause is checked per incident row
(EXISTS on the incident's links), so a page walking the sort index stops at the
page, as ``ncert.search`` does for a common word.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from ncert.models import Incident, IncidentIndicator, Indicator
from ncert.observables import IP_TYPES, guess, ip_bounds

MAX_WORDS = 16
MAX_INDICATORS = 1000
MAX_CARRIERS = 2000


def values_in(text: str) -> list[tuple[str, str]]:
    """The (type, normalised value) of every word of ``text``, or [] unless every word is one."""
    words = text.split()
    if not words or len(words) > MAX_WORDS:
        return []
    found = [guess(word) for word in words]
    return [] if None in found else list(dict.fromkeys(found))


def value_clause(values: list[tuple[str, str]]) -> ColumnElement[bool]:
    """Indicator rows that are one of ``values`` or, for an IP network, an address or network inside it."""
    by_type: dict[str, list[str]] = {}
    networks = [(kind, value) for kind, value in values if kind in IP_TYPES and "/" in value]
    for kind, value in values:
        if (kind, value) not in networks:
            by_type.setdefault(kind, []).append(value)
    # One "type = ? AND value IN (…)" arm per type: SQLite searches the unique index for each
    # (MULTI-INDEX OR) but scans the table for a row-value (type, value) IN list.
    arms = [and_(Indicator.type == kind, Indicator.value.in_(exact)) for kind, exact in by_type.items()]
    for kind, value in networks:
        first, last = ip_bounds(kind, value)
        arms.append(and_(Indicator.ip_from >= first, Indicator.ip_from <= last, Indicator.ip_to <= last))
    return or_(*arms)


def carrying_filter(session: Session, text: str) -> ColumnElement[bool] | None:
    """Incidents carrying a value ``text`` names (see the module), or None if ``text`` names none."""
    values = values_in(text)
    if not values:
        return None
    ids = list(session.scalars(select(Indicator.id).where(value_clause(values)).limit(MAX_INDICATORS + 1)))
    if len(ids) <= MAX_INDICATORS:
        carriers = list(session.scalars(select(IncidentIndicator.incident_id).where(
            IncidentIndicator.indicator_id.in_(ids)).distinct().limit(MAX_CARRIERS + 1))) if ids else []
        if len(carriers) <= MAX_CARRIERS:
            return Incident.id.in_(carriers)
        return exists().where(IncidentIndicator.incident_id == Incident.id, IncidentIndicator.indicator_id.in_(ids))
    return exists().where(IncidentIndicator.incident_id == Incident.id,
                          IncidentIndicator.indicator_id == Indicator.id, value_clause(values))
