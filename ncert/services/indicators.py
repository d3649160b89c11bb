"""Indicators: upsert by (type, value), link to incidents, record sightings,
and find who else reported the same value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, insert, or_, select, union_all
from sqlalchemy.orm import Session

from ncert import warninglists
from ncert.access import scope
from ncert.actor import Actor
from ncert.db import keys_in, sqlite_datetime, utcnow
from ncert.models import Incident, IncidentIndicator, Indicator, Sector, Sighting
from ncert.observables import ip_bounds
from ncert.records import IndicatorRecord
from ncert.services import rollups
from ncert.taxonomy import TLP

LOOKUP_CHUNK = 400  # keeps IN-lists well under every dialect's parameter limit


def upsert(session: Session, records: list[IndicatorRecord], tlp: TLP,
           now: datetime | None = None) -> dict[tuple[str, str], int]:
    """Make sure one Indicator exists per distinct (type, value); return their ids.

    first/last seen widen to cover every report, confidence keeps its highest
    value, and the TLP becomes the least restrictive label any reporter shared
    the value under. It is one INSERT … ON CONFLICT DO UPDATE … RETURNING per
    chunk, so bulk feeds cost no lookups, and concurrent reporters of the same
    value merge in the database rather than collide. Each value is checked against the
    MISP warninglists here (``ncert.warninglists``), and an IP gets its sortable range
    for CIDR search (``observables.ip_bounds``).
    """
    now = now or utcnow()
    return upsert_values(session, [(r.type, r.value, r.confidence, r.first_seen or now,
                                    r.last_seen or r.first_seen or now) for r in records], tlp)


def upsert_values(session: Session, values, tlp: TLP) -> dict[tuple[str, str], int]:
    """``upsert`` for (type, normalised value, confidence, first seen, last seen)
    tuples: the bulk path, without a record object per indicator."""
    wanted: dict[tuple[str, str], dict] = {}
    for kind, value, confidence, first, last in values:
        row = wanted.get((kind, value))
        if row is None:
            ip_from, ip_to = ip_bounds(kind, value) or (None, None)
            wanted[(kind, value)] = {"type": kind, "value": value, "first_seen": first, "last_seen": last,
                                     "confidence": confidence, "tlp": tlp, "ip_from": ip_from, "ip_to": ip_to,
                                     "warninglists": " ".join(warninglists.matches(kind, value))}
        else:
            row["first_seen"], row["last_seen"] = min(row["first_seen"], first), max(row["last_seen"], last)
            row["confidence"] = max(row["confidence"], confidence)
    if not wanted:
        return {}
    return _upsert_rows(session, list(wanted.values()))


# Multi-row INSERT … ON CONFLICT DO UPDATE … RETURNING, written as SQL text so a
# bulk feed pays no per-row ORM or compiler cost. SQLite (≥ 3.35) and PostgreSQL
# accept the same statement; only the two-argument minimum and maximum differ.
UPSERT_CHUNK = 500
_COLUMNS = ("type", "value", "first_seen", "last_seen", "confidence", "tlp", "ip_from", "ip_to", "warninglists")
_RANK = "CASE {} " + " ".join(f"WHEN '{t.value}' THEN {t.rank}" for t in TLP) + " END"


def _upsert_rows(session: Session, rows: list[dict]) -> dict[tuple[str, str], int]:
    conn = session.connection()
    dialect = conn.dialect.name
    least, greatest, marker = ("min", "max", "?") if dialect == "sqlite" else ("least", "greatest", "%s")
    stamp = sqlite_datetime if dialect == "sqlite" else (lambda value: value)
    tail = (
        " ON CONFLICT (type, value) DO UPDATE SET"
        f" first_seen = {least}(indicators.first_seen, excluded.first_seen),"
        f" last_seen = {greatest}(indicators.last_seen, excluded.last_seen),"
        f" confidence = {greatest}(indicators.confidence, excluded.confidence),"
        f" tlp = CASE WHEN {_RANK.format('excluded.tlp')} < {_RANK.format('indicators.tlp')}"
        " THEN excluded.tlp ELSE indicators.tlp END,"
        " warninglists = excluded.warninglists"  # the lists of the installed wheel
        " RETURNING id, type, value"
    )
    ids = {}
    if dialect == "postgresql":
        # One array per column through unnest: psycopg converts each statement's %s markers in Python and
        # caches only short statements, so a 500-row VALUES list was parsed anew each time (a fifth of a
        # bulk load's client time on PostgreSQL, issue 15).
        # Binary parameters (%b): text arrays are escaped element by element in Python, four times slower.
        sql = (f"INSERT INTO indicators ({', '.join(_COLUMNS)}) SELECT * FROM unnest(%b::varchar[], "
               "%b::varchar[], %b::timestamptz[], %b::timestamptz[], %b::int[], %b::varchar[], %b::bytea[], "
               f"%b::bytea[], %b::varchar[]){tail}")
        for i in range(0, len(rows), UPSERT_CHUNK * 20):
            chunk = rows[i : i + UPSERT_CHUNK * 20]
            columns = [[row[c] for row in chunk] for c in _COLUMNS]
            columns[5] = [label.value for label in columns[5]]
            for ind_id, kind, value in conn.exec_driver_sql(sql, tuple(columns)):
                ids[(kind, value)] = ind_id
        return ids
    one = "(" + ", ".join([marker] * len(_COLUMNS)) + ")"
    for i in range(0, len(rows), UPSERT_CHUNK):
        chunk = rows[i : i + UPSERT_CHUNK]
        params = []
        for row in chunk:
            params += (row["type"], row["value"], stamp(row["first_seen"]), stamp(row["last_seen"]),
                       row["confidence"], row["tlp"].value, row["ip_from"], row["ip_to"], row["warninglists"])
        sql = f"INSERT INTO indicators ({', '.join(_COLUMNS)}) VALUES {', '.join([one] * len(chunk))}{tail}"
        for ind_id, kind, value in conn.exec_driver_sql(sql, tuple(params)):
            ids[(kind, value)] = ind_id
    return ids


def correlates() -> ColumnElement[bool]:
    """Whether an Indicator row counts for correlation, anomaly features and the playbooks'
    ``sectors_sharing_indicator``: on no MISP warninglist and not marked a false positive."""
    return and_(Indicator.warninglists == "", Indicator.false_positive_at.is_(None))


def lookup_ids(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of the indicators that exist among ``keys``."""
    return {key: row[0] for key, row in _lookup(session, keys).items()}


def _lookup(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    found = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        stmt = select(Indicator.id, Indicator.type, Indicator.value, Indicator.first_seen, Indicator.last_seen,
                      Indicator.confidence, Indicator.tlp).where(
            keys_in((Indicator.type, Indicator.value), keys[i : i + LOOKUP_CHUNK]))
        for ind_id, kind, value, first, last, confidence, label in session.execute(stmt):
            found[(kind, value)] = (ind_id, first, last, confidence, label)
    return found


def attach(session: Session, incident: Incident, records: list[IndicatorRecord], org_id: int, *,
           new: bool = False) -> list[int]:
    """Link the records' indicators to an incident and record the reporter's sightings; ``new``: the
    incident was made in this transaction, so it has no links yet to look for."""
    if not records:
        return []
    ids = upsert(session, records, incident.tlp)
    now = utcnow()
    facts: dict[int, ReportFacts] = {}
    for rec in records:
        first = rec.first_seen or now
        seen = ReportFacts(rec.confidence, first, rec.last_seen or first)
        facts[ids[(rec.type, rec.value)]] = seen.widen(facts.get(ids[(rec.type, rec.value)]))
    link(session, incident.id, ids.values(), facts=facts, new=new)
    session.execute(insert(Sighting), [
        {"indicator_id": ids[(rec.type, rec.value)], "org_id": org_id, "incident_id": incident.id,
         "seen_at": rec.last_seen or rec.first_seen or now, "count": rec.count} for rec in records])
    return list(ids.values())


@dataclass(frozen=True)
class ReportFacts:
    """What one report said of a value."""

    confidence: int
    first_seen: datetime
    last_seen: datetime

    def widen(self, other: ReportFacts | None) -> ReportFacts:
        if other is None:
            return self
        return ReportFacts(max(self.confidence, other.confidence), min(self.first_seen, other.first_seen),
                           max(self.last_seen, other.last_seen))


def link(session: Session, incident_id: int, indicator_ids, role: str = "observed",
         facts: dict[int, ReportFacts] | None = None, *, new: bool = False) -> int:
    """Link indicators to an incident (existing links are kept); returns how many were new.

    ``facts`` are what the report said of each value; a value it said nothing
    about is recorded as seen when it was linked, at the default confidence. ``new``:
    the incident was made in this transaction and has no links to keep."""
    have = set() if new else set(session.scalars(select(IncidentIndicator.indicator_id).where(
        IncidentIndicator.incident_id == incident_id)))
    new = [i for i in dict.fromkeys(indicator_ids) if i not in have]
    if new:
        now = utcnow()
        unknown = ReportFacts(50, now, now)
        session.execute(insert(IncidentIndicator), [
            {"incident_id": incident_id, "indicator_id": i, "role": role, "added_at": now,
             **vars((facts or {}).get(i, unknown))} for i in new])
        rollups.recount_incidents(session, [incident_id])  # the CVEs the landscape ranks are counted per report
    return len(new)


def of_incident(session: Session, incident_id: int) -> list[Indicator]:
    """The indicators an incident's own report carries (for the services' own bookkeeping)."""
    stmt = (
        select(Indicator)
        .join(IncidentIndicator, IncidentIndicator.indicator_id == Indicator.id)
        .where(IncidentIndicator.incident_id == incident_id)
        .order_by(Indicator.type, Indicator.value)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class IndicatorFacts:
    """An indicator as one actor may see it on one incident."""

    id: int
    type: str
    value: str
    confidence: int
    tlp: TLP
    first_seen: datetime
    last_seen: datetime
    warninglists: tuple[str, ...] = ()  # the MISP warninglists the value is on (the value's, public)
    false_positive: bool = False  # marked benign nationally (ncert.services.false_positives)


def facts_of(session: Session, actor: Actor, incident: Incident) -> list[IndicatorFacts]:
    """The indicators of an incident and of the reports merged into it, as ``actor`` may see them.

    National staff see each value's national aggregate (every report of it). An
    organisation sees only reports it may see (``access.scope``): the facts are
    what those reports said, and the label the least restrictive among them, so
    nothing it is shown moves because of a report hidden from it.
    """
    group = or_(Incident.id == incident.id, Incident.merged_into_id == incident.id)
    if actor.is_national:
        stmt = (select(Indicator).join(IncidentIndicator, IncidentIndicator.indicator_id == Indicator.id)
                .join(Incident, Incident.id == IncidentIndicator.incident_id).where(group).distinct()
                .order_by(Indicator.type, Indicator.value))
        return [IndicatorFacts(i.id, i.type, i.value, i.confidence, i.tlp, i.first_seen, i.last_seen,
                               tuple(i.warninglist_names), i.is_false_positive)
                for i in session.scalars(stmt)]
    return _as_reported(session, scope(actor, _report_facts().where(group)))


def reported_facts(session: Session, incident: Incident) -> list[IndicatorFacts]:
    """The indicators as the incident's own report gave them: what publishing it may share."""
    return _as_reported(session, _report_facts().where(Incident.id == incident.id))


def _report_facts() -> Select:
    return (select(Indicator.id, Indicator.type, Indicator.value, IncidentIndicator.confidence,
                   IncidentIndicator.first_seen, IncidentIndicator.last_seen, Incident.tlp,
                   Indicator.warninglists, Indicator.false_positive_at)
            .join(IncidentIndicator, IncidentIndicator.indicator_id == Indicator.id)
            .join(Incident, Incident.id == IncidentIndicator.incident_id))


def _as_reported(session: Session, stmt: Select) -> list[IndicatorFacts]:
    """One IndicatorFacts per value over the reports ``stmt`` selects: the widest dates, the
    highest confidence and the least restrictive label among them."""
    seen: dict[int, IndicatorFacts] = {}
    for ind_id, kind, value, confidence, first, last, label, lists, false_at in session.execute(stmt):
        had = seen.get(ind_id)
        if had is not None:
            confidence, first, last = max(confidence, had.confidence), min(first, had.first_seen), max(
                last, had.last_seen)
            label = min(label, had.tlp, key=lambda t: t.rank)
        seen[ind_id] = IndicatorFacts(ind_id, kind, value, confidence, label, first, last, tuple(lists.split()),
                                      false_at is not None)
    return sorted(seen.values(), key=lambda f: (f.type, f.value))


SHARED_SHOWN = 10  # the "also in" list names this many; the rest is a paged list (queue filter ``indicator``)
# A value on thousands of incidents is counted up to this, then "100+": each counted incident is a row
# read (its visibility and sector), and at 1,000 a detail with a few such values read thousands of rows
# (p95 above 50 ms at a million incidents, issue 15); the full list is the paged one.
SHARED_COUNTED = 100


@dataclass(frozen=True)
class SharedWith:
    """Other incidents the actor can see that carry the same indicator: the newest few,
    how many (up to ``SHARED_COUNTED``, ``capped`` above), and the sectors among those counted."""

    references: tuple[str, ...]
    sectors: tuple[str, ...]
    count: int
    capped: bool


def shared(session: Session, actor: Actor, incident: Incident, indicator_ids: list[int]) -> dict[int, SharedWith]:
    """For each indicator, the other visible incidents (newest first) and their sectors, bounded:
    each value reads at most SHARED_COUNTED + 1 links along ix_incident_indicators_indicator.

    All the values are read in one statement (per ``SHARED_BATCH``): a UNION ALL of one bounded,
    scoped branch per value, each the walk a statement of its own would make."""
    carriers: dict[int, list[tuple[int, str, str]]] = {}
    for start in range(0, len(indicator_ids), SHARED_BATCH):
        for ind_id, incident_id, reference, sector in session.execute(
                _carriers(actor, incident.id, indicator_ids[start : start + SHARED_BATCH])):
            carriers.setdefault(ind_id, []).append((incident_id, reference, sector))
    found: dict[int, SharedWith] = {}
    for ind_id, rows in carriers.items():
        rows.sort(reverse=True)  # newest first, as each branch read them (a union keeps no order)
        counted = rows[:SHARED_COUNTED]
        found[ind_id] = SharedWith(tuple(ref for _, ref, _ in counted[:SHARED_SHOWN]),
                                   tuple(sorted({sector for _, _, sector in counted})),
                                   len(counted), len(rows) > SHARED_COUNTED)
    return found


# Values per ``shared`` statement: SQLite allows 500 terms in a compound SELECT.
SHARED_BATCH = 100


def _carriers(actor: Actor, incident_id: int, indicator_ids: list[int]) -> Select:
    """(indicator id, incident id, reference, sector slug) of the first SHARED_COUNTED + 1 other
    incidents ``actor`` may see carrying each of ``indicator_ids``. Built as plainly as it can be:
    building the statement costs more CPU than SQLite takes to run it."""
    branches = [
        scope(actor, select(IncidentIndicator.indicator_id, IncidentIndicator.incident_id, Incident.reference,
                            Sector.slug)
              .select_from(Incident).join(IncidentIndicator, Incident.id == IncidentIndicator.incident_id)
              .join(Sector, Sector.id == Incident.sector_id)
              .where(IncidentIndicator.indicator_id == ind_id, Incident.id != incident_id)
              .order_by(IncidentIndicator.incident_id.desc())
              .limit(SHARED_COUNTED + 1))
        for ind_id in indicator_ids
    ]
    if len(branches) == 1:
        return branches[0]
    return union_all(*(select(branch.subquery()) for branch in branches))  # SQLite: a LIMIT per branch needs a subquery


def sightings_of_incident(session: Session, actor: Actor, incident_id: int) -> list[Sighting]:
    stmt = select(Sighting).where(Sighting.incident_id == incident_id).order_by(Sighting.seen_at)
    return list(session.scalars(scope(actor, stmt, Sighting)))
