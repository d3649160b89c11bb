"""Historical bulk intake: load many past incidents, with their history, in one statement per table.

A national centre migrating from another system (or a benchmark) brings years
of incidents that already went through triage. ``load`` takes them as
``IncidentRecord`` (validated and normalised exactly as ``incidents.submit``
takes them: the reporter and reporting-sector rules, the national severity from
the hint, indicator upsert with each report's own facts) plus what happened to
them: status and its times, the national severity decided, the assignee,
timeline entries, regulatory clocks and a merge into an earlier incident.

Rows go in through driver-level executemany on SQLite (``ncert.db.bulk_insert``)
and COPY on PostgreSQL, not one ORM object each. Search indexes follow by
themselves (the FTS5 triggers, PostgreSQL's expression index) and the incident
rollups count the loaded incidents from the rows in hand (``rollups.add_new``). On PostgreSQL a batch that at least
doubles the incidents the planner last counted ANALYZEs the tables it grew. Replaying a batch is idempotent: an external
id its organisation already used is skipped. Domain events and playbooks do
not run: the history is the one given. One audit event records each batch.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import Engine, bindparam, event, select, text, update
from sqlalchemy.orm import Session

from ncert import clocks
from ncert.actor import Actor
from ncert.db import UTCDateTime, copy_rows, insert_trigger_suspended, keys_in, sqlite_datetime
from ncert.db import bulk_insert as _bulk_insert
from ncert.errors import Forbidden, Invalid
from ncert.i18n import N_
from ncert.models import (
    ExternalRef,
    Incident,
    IncidentIndicator,
    ReferenceCounter,
    RegulatoryDeadline,
    Sighting,
    TimelineEntry,
    incident_affected_sectors,
)
from ncert.records import IncidentRecord
from ncert.search import indexing
from ncert.services import audit, directory, incidents, indicators, rollups
from ncert.taxonomy import UNCATEGORISED, Status

CHANNEL = "import"
LOOKUP_CHUNK = 400  # keeps IN-lists well under every dialect's parameter limit


@dataclass(frozen=True)
class Entry:
    """One timeline entry as it was written at the time."""

    at: datetime
    kind: str
    body: str
    actor: str
    user_id: int | None = None
    org_id: int | None = None
    internal: bool = False
    details: dict = field(default_factory=dict)  # as the service writing it records them (old/new status…)


@dataclass(frozen=True)
class Clock:
    """A regulatory regime started for the incident, with the stages received and when."""

    regime: str
    aware_at: datetime
    received: dict[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoricalIncident:
    record: IncidentRecord
    reported_at: datetime
    status: Status = Status.NEW
    severity: int | None = None  # the national severity decided later; None keeps the intake's
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    assignee_id: int | None = None
    timeline: tuple[Entry, ...] = ()
    clocks: tuple[Clock, ...] = ()
    # The (reporter org slug, system, external id) of an earlier incident this one was merged into.
    merged_into: tuple[str, str, str] | None = None


_INCIDENT_COLUMNS = ("reference", "title", "description", "reporter_org_id", "sector_id", "status", "rsit_class",
                     "rsit_type", "severity", "reported_severity", "communicated_severity", "tlp", "occurred_at",
                     "aware_at", "reported_at", "acknowledged_at", "resolved_at", "closed_at", "created_at",
                     "updated_at", "shared_updated_at", "assignee_id", "source_channel")
_TIMELINE_COLUMNS = ("incident_id", "at", "kind", "actor", "user_id", "org_id", "body", "internal", "details")
_LINK_COLUMNS = ("incident_id", "indicator_id", "role", "added_at", "confidence", "first_seen", "last_seen")
_SIGHTING_COLUMNS = ("indicator_id", "org_id", "incident_id", "seen_at", "count")
_DEADLINE_COLUMNS = ("incident_id", "regime", "stage", "aware_at", "due_at", "received_at", "created_at",
                     "approaching_fired_at", "overdue_fired_at", "internal")


def load(session: Session, actor: Actor, items: list[HistoricalIncident]) -> list[int | None]:
    """Store ``items`` in the caller's transaction; their ids in order (None for an external id already used)."""
    if not actor.is_admin:
        raise Forbidden(N_("loading historical incidents is an administrator's task"))
    orgs = {o.slug: o for o in directory.organizations(session)}
    own = next(o.slug for o in orgs.values() if o.id == actor.org_id)
    items = [item if item.record.reporter_org else _reported_by(item, own) for item in items]
    sectors = {s.slug: s for s in directory.sectors(session)}
    keys = {id(item): _keys(item, orgs) for item in items}
    known = _known_external_ids(session, orgs, items, keys.values())
    fresh = [item for item in items if not keys[id(item)] & known]
    rows = [_incident_row(actor, orgs, sectors, item) for item in fresh]
    ids = _insert_incidents(session, rows)
    new_ids = [ids[row[0]] for row in rows]
    by_key = {key: i for item, i in zip(fresh, new_ids) for key in keys[id(item)]}

    bulk_insert(session, ExternalRef.__table__, ("incident_id", "org_id", "system", "value"),
                [(i, org_id, system, value) for item, i in zip(fresh, new_ids)
                 for org_id, system, value in keys[id(item)]])
    bulk_insert(session, incident_affected_sectors, ("incident_id", "sector_id"),
                [(i, sectors[slug].id) for item, i in zip(fresh, new_ids)
                 for slug in dict.fromkeys(item.record.affected_sectors) if slug != item.record.sector])
    _attach_indicators(session, fresh, new_ids, orgs)
    _write_timelines(session, fresh, new_ids)
    _start_clocks(session, fresh, new_ids)
    merged = _merge(session, fresh, new_ids, by_key, orgs)
    indexing.incidents_changed(session, new_ids)  # rows written past the ORM: the search index hears here
    # The flush listener that keeps the rollups sees ORM objects only: count the loaded incidents here,
    # from the rows in hand.
    rollups.add_new(session.connection(), [_counted(item, row, i in merged)
                                           for item, row, i in zip(fresh, rows, new_ids)])
    _refresh_statistics(session, len(fresh))
    audit.record(session, actor, "incident.bulk-load", "incident", f"{len(fresh)} incidents",
                 loaded=len(fresh), skipped=len(items) - len(fresh))
    by_item = {id(item): i for item, i in zip(fresh, new_ids)}
    return [by_item.get(id(item)) for item in items]


# The tables a load fills whose secondary indexes an initial load builds at its end, and the one of
# them the load reads itself (``rollups.add_new`` finds a day's rows of an organisation with it).
_DEFERRED = ("incidents", "incident_external_refs", "incident_affected_sectors", "incident_indicators", "sightings",
             "timeline_entries", "regulatory_deadlines", "incident_rollups", "incident_rollup_durations")
_KEPT = frozenset({"ix_incident_rollups_org_day"})


@contextmanager
def initial_load(engine: Engine) -> Iterator[bool]:
    """A block of ``load`` calls into an empty PostgreSQL database (a migration, the benchmark): the
    non-unique secondary indexes and the foreign keys of the tables they fill are dropped first and
    made again from their own definitions (``pg_get_indexdef``, ``pg_get_constraintdef``) when the block
    ends, failed or not, and autovacuum leaves those tables alone meanwhile (``autovacuum_enabled``;
    vacuum them after), as the manual advises for a bulk load
    (https://www.postgresql.org/docs/15/populate.html). Building an index once over a million
    incidents costs far less than maintaining it row by row (the full-text GIN index alone was a fifth
    of the server's time), and the indexes built are the ones maintenance would have given; a foreign
    key added back checks every row in one join (0.1 s for 200,000 timeline entries, where checking
    them row by row as they were copied took 2.3 s), so a row that breaks one still fails the block.
    Unique indexes stay: they are constraints, and the load's own lookups use them. On SQLite the
    block only gives its connections a larger page cache (``_sqlite_cache``). Yields
    whether it deferred anything: nothing on SQLite, nor when the database already has incidents
    (it may be serving, and its queries need their indexes)."""
    if engine.dialect.name == "sqlite":
        with _sqlite_cache(engine, LOAD_CACHE_KIB):
            yield False
        return
    if engine.dialect.name != "postgresql":
        yield False
        return
    with engine.begin() as conn:
        empty = conn.execute(select(Incident.id).limit(1)).first() is None
        indexes = [] if not empty else [(name, definition) for name, definition in conn.execute(text(
            "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(:tables) "
            "AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisunique AND NOT x.indisprimary "
            "ORDER BY t.relname, c.relname"), {"tables": list(_DEFERRED)}) if name not in _KEPT]
        checks = [] if not empty else conn.execute(text(
            "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' AND t.relname = ANY(:tables) "
            "AND t.relnamespace = current_schema()::regnamespace ORDER BY t.relname, c.conname"),
            {"tables": list(_DEFERRED)}).all()
        quiet = [] if not empty else list(conn.execute(text(
            "SELECT relname FROM pg_class WHERE relname = ANY(:tables) AND reloptions IS NULL "
            "AND relnamespace = current_schema()::regnamespace ORDER BY relname"), {"tables": list(_DEFERRED)}
        ).scalars())
        for table, name, _ in checks:
            conn.execute(text(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        for table in quiet:
            conn.execute(text(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)'))
    try:
        yield empty
    finally:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))  # sorts each index in memory
            for _, definition in indexes:
                conn.execute(text(definition))
            for table in quiet:
                conn.execute(text(f'ALTER TABLE "{table}" RESET (autovacuum_enabled)'))
        with engine.begin() as conn:  # apart: a row that breaks a key fails here, the indexes built
            for table, name, definition in checks:  # each checks every row it covers, in one pass
                conn.execute(text(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'))


LOAD_CACHE_KIB = 1024 * 1024  # SQLite's page cache per connection during an initial load: 1 GiB


@contextmanager
def _sqlite_cache(engine: Engine, kib: int) -> Iterator[None]:
    """Each connection ``engine`` hands out in the block gets ``kib`` of page cache (``PRAGMA cache_size``;
    ``ncert.db.make_engine`` gives 64 MiB, for serving): a load inserts into some twenty indexes per
    incident, several keyed by random values (indicator values, hashes), which outgrow a small cache
    as the database grows, and every page missed is read again from the file. The pool is emptied
    after, so later connections start with the usual size."""
    def grow(dbapi_conn, _record, _proxy) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA cache_size=-{int(kib)}")
        cursor.close()

    event.listen(engine, "checkout", grow)
    try:
        yield
    finally:
        event.remove(engine, "checkout", grow)
        engine.dispose()


# What a load writes, the rollups its recount writes included.
_GROWN = ("incidents", "incident_external_refs", "incident_affected_sectors", "indicators", "incident_indicators",
          "sightings", "timeline_entries", "regulatory_deadlines", "incident_rollups", "incident_rollup_durations",
          "incident_term_rollups", "incident_status_cells", "incident_status_totals")


_CONTAINED = Status.CONTAINED.value


def _counted(item: HistoricalIncident, row: tuple, merged: bool) -> rollups.NewIncident:
    """What the rollups count of a loaded incident (``rollups.add_new``), from its row and its history:
    the first move to contained its reporter may read, and the CVEs its report carries."""
    contained = min((e.at for e in item.timeline if e.kind == "status" and not e.internal
                     and e.details.get("new") == _CONTAINED), default=None)
    terms = {("cve", rec.value) for rec in item.record.indicators if rec.type == "cve"}
    return (row[3], row[4], row[6], row[8], row[10], item.record.tlp, item.status, item.reported_at,
            item.acknowledged_at, item.resolved_at, item.closed_at, item.record.aware_at, item.record.occurred_at,
            contained, merged, terms)


def _refresh_statistics(session: Session, loaded: int) -> None:
    """On PostgreSQL, ANALYZE the tables a load grows when it at least doubled the incidents the
    planner last counted (pg_class.reltuples: -1 or 0 before the first ANALYZE), as the manual
    advises after a bulk load (https://www.postgresql.org/docs/15/populate.html#POPULATE-ANALYZE);
    so log2 of the growth times in an initial load. Autovacuum comes too late: the foreign-key
    check of each rollup histogram row kept a plan made while its table was nearly empty, and the
    second to fourth batches of 5,000 took 8-20 s against 5.5 s with fresh statistics."""
    conn = session.connection()
    if conn.dialect.name != "postgresql" or not loaded:
        return
    counted = conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'incidents'::regclass")).scalar_one()
    if loaded >= counted:
        conn.execute(text(f"ANALYZE {', '.join(_GROWN)}"))


def _reported_by(item: HistoricalIncident, slug: str) -> HistoricalIncident:
    return replace(item, record=item.record.model_copy(update={"reporter_org": slug}))


def bulk_insert(session: Session, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """``ncert.db.bulk_insert`` for rows whose datetime columns may be None in the first row:
    on SQLite the table's datetime columns are written as DATETIME text here. On PostgreSQL
    the rows stream through one COPY (psycopg 3 ``Cursor.copy``): executemany's statement
    per row took 30 of a 50,000-incident load's 92 s (measured for issue 15)."""
    if rows and session.connection().dialect.name == "postgresql":
        copy_rows(session.connection(), table, columns, rows)
        return
    if rows and session.connection().dialect.name == "sqlite":
        times = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, UTCDateTime)]
        rows = [list(row) for row in rows]
        # A load's rows repeat their incidents' moments (each link and sighting carries its report's
        # times): each distinct one is formatted once.
        text_of: dict[datetime, str] = {}
        for row in rows:
            for i in times:
                if (moment := row[i]) is not None:
                    row[i] = text_of.get(moment) or text_of.setdefault(moment, sqlite_datetime(moment))
    _bulk_insert(session, table, columns, rows)


def _keys(item: HistoricalIncident, orgs) -> set[tuple[int, str, str]]:
    org_id = orgs[item.record.reporter_org].id
    return {(org_id, system, value) for system, value in item.record.external_ids.items()}


def _known_external_ids(session: Session, orgs, items, item_keys=None) -> set[tuple[int, str, str]]:
    """The items' external-id keys already used (``item_keys``: each item's keys, when worked out)."""
    keys = sorted(set().union(*(item_keys if item_keys is not None else (_keys(item, orgs) for item in items))))
    found = set()
    for i in range(0, len(keys), LOOKUP_CHUNK):
        stmt = select(ExternalRef.org_id, ExternalRef.system, ExternalRef.value).where(
            keys_in((ExternalRef.org_id, ExternalRef.system, ExternalRef.value), keys[i : i + LOOKUP_CHUNK]))
        found.update(tuple(row) for row in session.execute(stmt))
    return found


def _incident_row(actor: Actor, orgs, sectors, item: HistoricalIncident) -> tuple:
    """The incidents row ``submit`` would write, then moved on by the item's history.

    The reporting sector follows ``submit``'s rule for national staff (the only
    ones who load): the sector named, else the reporter's own."""
    record = item.record
    reporter = orgs.get(record.reporter_org)
    if reporter is None:
        raise Invalid(N_("reporter_org: no organisation '%(org)s'"), org=record.reporter_org)
    if record.sector is None and reporter.sector_id is None:
        raise Invalid(N_("sector: organisation '%(org)s' has no sector; give 'sector'"), org=reporter.slug)
    if record.sector is not None and record.sector not in sectors:
        raise Invalid(N_("sector: no sector '%(sector)s'"), sector=record.sector)
    sector_id = sectors[record.sector].id if record.sector else reporter.sector_id
    rsit_class, rsit_type = (record.category.rsit_class, record.category.type) if record.category else UNCATEGORISED
    hint = record.severity
    severity = item.severity if item.severity is not None else incidents._national_severity(actor, hint, CHANNEL)
    shared = [e.at for e in item.timeline if not e.internal]
    updated = max([item.reported_at, *(e.at for e in item.timeline)])
    return (None, record.title, record.description, reporter.id, sector_id, item.status.value, rsit_class,
            rsit_type, severity, hint, incidents.DEFAULT_SEVERITY if hint is None else hint, record.tlp.value,
            record.occurred_at, record.aware_at, item.reported_at, item.acknowledged_at, item.resolved_at,
            item.closed_at, item.reported_at, updated, max([item.reported_at, *shared]), item.assignee_id, CHANNEL)


def _insert_incidents(session: Session, rows: list[tuple]) -> dict[str, int]:
    """Give each row its NC-<year>-<6 digits> reference (by the year it was reported) and insert them all."""
    per_year: dict[int, list[int]] = defaultdict(list)
    for n, row in enumerate(rows):
        per_year[row[14].year].append(n)
    for year, members in per_year.items():
        last = _reserve_references(session, year, len(members))
        for offset, n in enumerate(members):
            rows[n] = (f"NC-{year}-{last - len(members) + 1 + offset:06d}", *rows[n][1:])
    with _text_index_after(session) as index_text:
        bulk_insert(session, Incident.__table__, _INCIDENT_COLUMNS, rows)
        refs = [row[0] for row in rows]
        ids = {}
        for i in range(0, len(refs), LOOKUP_CHUNK):
            ids.update((ref, incident_id) for ref, incident_id in session.execute(
                select(Incident.reference, Incident.id).where(Incident.reference.in_(refs[i : i + LOOKUP_CHUNK]))))
        index_text(sorted(ids.values()))
    return ids


@contextmanager
def _text_index_after(session: Session) -> Iterator[Callable[[list[int]], None]]:
    """On SQLite, index the batch's text in the FTS5 table with one statement per chunk instead of
    through the per-row insert trigger, which the block suspends (``ncert.db.insert_trigger_suspended``).
    PostgreSQL's text index is an ordinary expression index: nothing to do there."""
    with insert_trigger_suspended(session, _FTS_INSERT_TRIGGER) as suspended:
        def index_text(ids: list[int]) -> None:
            for i in range(0, len(ids) if suspended else 0, LOOKUP_CHUNK):
                session.execute(text("INSERT INTO incidents_fts(rowid, reference, title, description) "
                                     "SELECT id, reference, title, description FROM incidents WHERE id IN :ids")
                                .bindparams(bindparam("ids", expanding=True)), {"ids": ids[i : i + LOOKUP_CHUNK]})

        yield index_text


_FTS_INSERT_TRIGGER = "incidents_fts_insert"  # created by migration 0001


def _reserve_references(session: Session, year: int, count: int) -> int:
    """Bump the year's reference counter by ``count`` atomically; the last number reserved."""
    stmt = (update(ReferenceCounter).where(ReferenceCounter.year == year)
            .values(value=ReferenceCounter.value + count).returning(ReferenceCounter.value))
    value = session.scalar(stmt)
    if value is None:  # the year's first: ``submit``'s own way creates the counter (number 1 is ours)
        first = int(incidents._next_reference(session, year).rsplit("-", 1)[1])
        value = session.scalar(stmt.values(value=ReferenceCounter.value + count - 1)) if count > 1 else first
    return value


def _attach_indicators(session: Session, items, ids, orgs) -> None:
    """``indicators.attach`` for the whole batch: one upsert per label, then links and sightings."""
    by_label = defaultdict(list)
    for item in items:
        for rec in item.record.indicators:
            first = rec.first_seen or item.reported_at
            by_label[item.record.tlp].append((rec.type, rec.value, rec.confidence, first, rec.last_seen or first))
    known = {}
    for label, values in by_label.items():
        known.update(indicators.upsert_values(session, values, label))
    links, sightings = {}, []
    for item, incident_id in zip(items, ids):
        org_id = orgs[item.record.reporter_org].id
        for rec in item.record.indicators:
            first = rec.first_seen or item.reported_at
            facts = indicators.ReportFacts(rec.confidence, first, rec.last_seen or first)
            ind_id = known[(rec.type, rec.value)]
            facts = facts.widen(links.get((incident_id, ind_id)))
            links[(incident_id, ind_id)] = facts
            sightings.append((ind_id, org_id, incident_id, rec.last_seen or first, rec.count))
    added_at = {i: item.reported_at for item, i in zip(items, ids)}
    bulk_insert(session, IncidentIndicator.__table__, _LINK_COLUMNS,
                [(inc, ind, "observed", added_at[inc], f.confidence, f.first_seen, f.last_seen)
                 for (inc, ind), f in links.items()])
    bulk_insert(session, Sighting.__table__, _SIGHTING_COLUMNS, sightings)


def _write_timelines(session: Session, items, ids) -> None:
    written: dict[tuple, str] = {}
    bulk_insert(session, TimelineEntry.__table__, _TIMELINE_COLUMNS,
                [(i, e.at, e.kind, e.actor, e.user_id, e.org_id, e.body, e.internal, _json(e.details, written))
                 for item, i in zip(items, ids) for e in sorted(item.timeline, key=lambda e: e.at)])


def _json(details: dict, written: dict[tuple, str]) -> str:
    """``json.dumps(details)``, once per distinct flat ``details`` of a batch (most entries carry none,
    a status entry one of a few transitions)."""
    if not details:
        return "{}"
    if not all(type(k) is str and type(v) is str for k, v in details.items()):
        return json.dumps(details)  # only text is memoised: 1 == True == 1.0 as keys, not as JSON
    key = tuple(details.items())
    return written.get(key) or written.setdefault(key, json.dumps(details))


def _start_clocks(session: Session, items, ids) -> None:
    rows = []
    for item, i in zip(items, ids):
        for clock in item.clocks:
            for d in clocks.deadlines(clocks.REGIMES[clock.regime], clock.aware_at, clock.received):
                rows.append((i, clock.regime, d.stage, clock.aware_at, d.due_at, clock.received.get(d.stage),
                             item.reported_at, None, None, False))
    bulk_insert(session, RegulatoryDeadline.__table__, _DEADLINE_COLUMNS, rows)


def _merge(session: Session, items, ids, by_key, orgs) -> set[int]:
    """Point merged duplicates at their incident: one in this batch or an earlier one; answers their ids."""
    wanted = {(orgs[item.merged_into[0]].id, *item.merged_into): i for item, i in zip(items, ids)
              if item.merged_into}
    missing = [(k[0], k[2], k[3]) for k in wanted if (k[0], k[2], k[3]) not in by_key]
    targets = dict(by_key)
    for n in range(0, len(missing), LOOKUP_CHUNK):
        stmt = select(ExternalRef.org_id, ExternalRef.system, ExternalRef.value, ExternalRef.incident_id).where(
            keys_in((ExternalRef.org_id, ExternalRef.system, ExternalRef.value), missing[n : n + LOOKUP_CHUNK]))
        targets.update({(o, s, v): i for o, s, v, i in session.execute(stmt)})
    pairs = [(targets[(k[0], k[2], k[3])], i) for k, i in wanted.items() if (k[0], k[2], k[3]) in targets]
    if pairs:
        marker = "?" if session.connection().dialect.name == "sqlite" else "%s"
        session.connection().exec_driver_sql(
            f"UPDATE incidents SET merged_into_id = {marker} WHERE id = {marker}", pairs)
    return {i for _, i in pairs}
