"""Keeping the incident rollups (``ncert.models.rollups``) equal to the incidents.

Maintained on write: a session listener notes, at every flush, the cells
(UTC report day × reporting organisation) of each incident written and of each
status entry added to a timeline, with the incidents touched, and recounts those
cells when the transaction commits, in it. Every door, bulk path and test that
writes incidents through the ORM keeps them current. Before a flush moves an
incident (another rollup key, status, label, day or reporter) or deletes it, the
listener reads where its stored row is counted, with the row locked until commit
(so a writer that changed it after this session loaded it is read, not missed);
at commit only the rollup rows of the keys a touched incident has and had are
tallied again, from their incidents, and the status cells change by the moves.
A busy organisation's day holds thousands of incidents, and tallying all of them
on every report cost 100 ms a write at 2,000 (measured for issue 12); a write now
costs a few rows' tally at any table size. A recount replaces rollup rows, so two
transactions recounting one cell at once would each keep their own: on
PostgreSQL a recount first takes a transaction-scoped advisory lock per cell, all
of a commit's at once in key order (no two commits can then wait on each other),
and reads the cell after any commit it waited for. SQLite has one writer at a time.

The queue's exact counts per status (``StatusTotal``: organisation × label ×
status, merged reports included) are kept by difference with the status cells
(``StatusCell``: day × organisation × label × status).

``rebuild`` recounts every day (``ncert rollups rebuild``, and migration 0010b
for data written before the rollups existed). The term rollups (``TermRollup``: the
CVEs, malware families and ATT&CK techniques the landscape ranks) are recounted with
their cell; a report's indicator links and MISP event tags are part of its cell, so
``indicators.link`` recounts it (its links are written past the ORM) and the flush
listener recounts the cell of every MISP event written.

Durations are kept as histograms of log-scale buckets, four per doubling
(edges 2^(1/4) ≈ 19 % apart), each with the least and greatest duration in it;
``percentile`` interpolates within a bucket between them, so a percentile is
exact where its bucket holds at most two distinct durations and otherwise
within that bucket's edges.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from itertools import chain

from sqlalchemy import Connection, Date, bindparam, delete, event, func, insert, inspect, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from ncert import galaxies
from ncert.actor import Actor
from ncert.db import EnumText, copy_rows
from ncert.errors import Forbidden
from ncert.i18n import N_
from ncert.models import (
    Incident,
    IncidentIndicator,
    IncidentRollup,
    Indicator,
    MispEvent,
    RollupDuration,
    StatusCell,
    StatusTotal,
    TermRollup,
    TimelineEntry,
)
from ncert.services import audit
from ncert.taxonomy import Status

PER_DOUBLING = 4
LAST_BUCKET = 1 + PER_DOUBLING * 26  # 2^26 s is about two years: anything longer shares the last bucket
MEASURES = ("acknowledge", "contain", "resolve", "delay")

Cell = tuple[date, int]  # (UTC report day, reporting organisation)
_PENDING = "ncert.rollups.cells"  # session.info: cell → the incidents touched in it
_BEFORE = "ncert.rollups.before"  # session.info: incident → where it was counted before this transaction (``_Was``)


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration: 0 below one second, then four per doubling."""
    if seconds < 1:
        return 0
    return min(LAST_BUCKET, 1 + math.floor(PER_DOUBLING * math.log2(seconds)))


@dataclass(frozen=True)
class Bucket:
    n: int
    least: float
    greatest: float


def percentile(buckets: list[Bucket], p: float) -> float | None:
    """The ``p`` percentile of the durations counted in ``buckets`` (in bucket order),
    interpolated between the two nearest ranks as ``incident_stats.spread`` does; a
    rank inside a bucket is placed evenly between the bucket's least and greatest."""
    n = sum(b.n for b in buckets)
    if not n:
        return None
    rank = (n - 1) * p
    low = math.floor(rank)
    a = _at_rank(buckets, low)
    b = _at_rank(buckets, low + 1) if low + 1 < n else a
    return a + (b - a) * (rank - low)


def _at_rank(buckets: list[Bucket], rank: int) -> float:
    before = 0
    for b in buckets:
        if rank < before + b.n:
            if b.n == 1:
                return b.least
            return b.least + (b.greatest - b.least) * (rank - before) / (b.n - 1)
        before += b.n
    raise IndexError(rank)


# -- maintained on write --------------------------------------------------------------


def _day(moment: datetime) -> date:
    return moment.astimezone(timezone.utc).date()


@event.listens_for(Session, "before_flush")
def _note_where_counted(session: Session, _context, _instances) -> None:
    """Where each incident the flush is about to change as counted (its rollup key, durations, status
    cell, day or reporter) or delete was counted (``moving``)."""
    changing = [obj.id for obj in session.deleted if isinstance(obj, Incident)]
    changing += [obj.id for obj in session.dirty if isinstance(obj, Incident)
                 and inspect(obj).committed_state.keys() & _COUNTED_BY]
    moving(session, changing)


def moving(session: Session, incident_ids: Iterable[int]) -> None:
    """Note where each of these incidents, about to change what it is counted by, was counted, once
    per transaction, and its cell to recount at commit: the flush's listener calls it, and so does a
    writer that bypasses the ORM (before it writes; ``recount_incidents`` after). One whose status
    entry an earlier flush wrote without such a change (``_UNSURE``) keeps its row but not its
    durations: they may already be the entry's."""
    before = session.info.setdefault(_BEFORE, {})
    changing = [i for i in incident_ids if (found := before.get(i)) is None or found is _UNSURE]
    if not changing:
        return
    noted = session.info.setdefault(_PENDING, defaultdict(set))
    for incident_id, was in _stored(session.connection(), changing).items():
        before[incident_id] = was if before.get(incident_id) is None else replace(was, durations=None)
        noted[was.status[:2]].add(incident_id)


def counts_by(columns: Iterable[str]) -> bool:
    """Whether a change of these incident columns moves an incident between rollup rows."""
    return not _COUNTED_BY.isdisjoint(columns)


def _stored(conn: Connection, incident_ids: list[int]) -> dict[int, _Was]:
    """Where each incident is counted as stored, read with its row locked until commit: on
    PostgreSQL ``FOR UPDATE``, so a writer that changed it since this session loaded it has
    committed and is read (the values the session loaded may be stale); on SQLite with the
    database's write lock taken first (nothing can commit between this read and the flush)."""
    if conn.dialect.name == "sqlite":
        driver = conn.connection.driver_connection
        if not driver.in_transaction:  # pysqlite begins one only at the flush's first write (ncert.db)
            driver.execute("BEGIN IMMEDIATE")
    i = Incident
    found = {}
    for ids in _chunks(sorted(incident_ids)):
        stmt = select(i.id, i.reported_at, *_KEY_SELECT, i.resolved_at, i.closed_at, i.merged_into_id,
                      i.acknowledged_at, i.aware_at, i.occurred_at, _contained()).where(i.id.in_(ids))
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(of=Incident)
        for incident_id, *row, acknowledged, aware, occurred, contained in conn.execute(stmt):
            found[incident_id] = _was(*row, durations=_durations(row[0], acknowledged, row[8], aware, occurred,
                                                                 contained))
    return found


@dataclass(frozen=True)
class _Was:
    """Where an incident is counted: its (day, rollup key), None when merged (merged reports are not
    counted) or new; its status cell (day, organisation, label, status), merged reports included,
    None when new; and, as read before a flush moved it, the durations it adds to its row's
    histograms ((measure, seconds) pairs: ``_durations``)."""

    rollup: tuple | None
    status: tuple | None
    durations: tuple | None = ()  # None: not known


_NEW = _Was(None, None)
_UNSURE = _Was(None, None, None)  # a status entry written, nothing it is counted by: its row is tallied again


def _was(reported_at, org, sector, rsit_class, severity, communicated, tlp, status, resolved, closed,
         merged, durations: tuple = ()) -> _Was:
    day = _day(reported_at)
    return _Was(None if merged else (day, _key_of(org, sector, rsit_class, severity, communicated, tlp, status,
                                                  resolved, closed)),
                (day, org, tlp, status), durations)


@event.listens_for(Session, "after_flush")
def _note_touched_cells(session: Session, _context) -> None:
    """The cells of every incident written and of every status entry added, to recount at commit."""
    written = {obj.id: obj for obj in (*session.new, *session.dirty) if isinstance(obj, Incident)}
    before = session.info.setdefault(_BEFORE, {})
    for obj in session.new:
        if isinstance(obj, Incident):
            before.setdefault(obj.id, _NEW)  # new in this transaction: counted nowhere yet
    entries = {obj.incident_id for obj in session.new if isinstance(obj, TimelineEntry) and obj.kind == "status"}
    for incident_id in entries:
        before.setdefault(incident_id, _UNSURE)  # the entry may have set when it was contained
    ids = set(written) | entries
    ids |= {obj.incident_id for obj in (*session.new, *session.dirty) if isinstance(obj, MispEvent)}
    if ids:
        _note(session, ids, written)


def _note(session: Session, incident_ids: Iterable[int], written: dict[int, Incident] | None = None) -> None:
    """Note the cell of each incident: from the copy the session holds (``written`` by the flush, or
    in its identity map) where it has the incident's day and reporter (a query a flush was most of a
    playbook run's rollup cost), else from the database."""
    noted = session.info.setdefault(_PENDING, defaultdict(set))
    unknown = []
    for incident_id in incident_ids:
        held = (written or {}).get(incident_id) or session.identity_map.get(
            session.identity_key(Incident, incident_id))
        values = inspect(held).dict if held is not None else {}
        if values.get("reported_at") is not None and values.get("reporter_org_id") is not None:
            noted[(_day(values["reported_at"]), values["reporter_org_id"])].add(incident_id)
        else:
            unknown.append(incident_id)
    for cell, ids in _cells_now(session.connection(), unknown).items():
        noted[cell] |= ids


@event.listens_for(Session, "before_commit")
def _recount_noted_cells(session: Session) -> None:
    session.flush()  # what is still pending notes its cells
    before = session.info.pop(_BEFORE, None) or {}  # none when no flush wrote an incident
    if noted := session.info.pop(_PENDING, None):
        recount(session.connection(), noted, touched=noted, before=before)


@event.listens_for(Session, "after_transaction_end")
def _forget_noted_cells(session: Session, transaction: SessionTransaction) -> None:
    """A transaction rolled back recounts nothing (a commit has taken its cells already)."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_BEFORE, None)


def _cells_now(conn: Connection, incident_ids: Iterable[int]) -> dict[Cell, set[int]]:
    """The cell each incident is in now, with the incidents in it."""
    ids = sorted(incident_ids)
    cells: dict[Cell, set[int]] = defaultdict(set)
    for n in range(0, len(ids), 500):
        stmt = select(Incident.id, Incident.reported_at, Incident.reporter_org_id).where(
            Incident.id.in_(ids[n:n + 500]))
        for incident_id, at, org in conn.execute(stmt):
            cells[(_day(at), org)].add(incident_id)
    return cells


def recount_incidents(session: Session, incident_ids: Iterable[int]) -> None:
    """Recount at commit the cells of incidents whose rows the ORM did not write (e.g. their indicator links)."""
    _note(session, incident_ids)


def recount(conn: Connection, cells: Iterable[Cell], touched: dict[Cell, set[int]] | None = None,
            before: dict[int, _Was] | None = None) -> None:
    """Recount the rollup rows of ``cells`` from their incidents: the commit listener's work, and
    what a path that inserts incidents without ORM objects (``ncert.db.bulk_insert``) calls itself.
    Without ``touched``, every row of the cells is tallied again. With it (the incidents touched in
    each cell) comes ``before``, the commit listener's record of where each incident the transaction
    changed as counted was counted before (``_Was``; an incident it lacks changed nothing counted):
    only those incidents are taken out of the rows they left and merged into those they joined, and
    the status cells change by their moves, without reading the cells' other incidents."""
    if touched is not None and before is None:
        raise TypeError("recount of touched incidents needs where they were counted before (before=)")
    cells = sorted(set(cells))
    _lock(conn, cells)
    by_day: dict[date, set[int]] = defaultdict(set)
    for day, org in cells:
        by_day[day].add(org)
    for day, orgs in by_day.items():
        changed = None if touched is None else set().union(*(touched.get((day, org), ()) for org in orgs))
        _replace(conn, day, orgs, touched=changed, before=before)


# A new incident as ``add_new`` counts it: the columns ``_incidents_of`` reads (the reporting organisation
# to the first move to contained), then whether it is merged into another, then its (kind, term) pairs.
NewIncident = tuple


def add_new(conn: Connection, new: Iterable[NewIncident]) -> None:
    """Count incidents written in this transaction past the ORM, none of them counted yet, from the
    values in hand: what ``recount`` of their cells gives, without reading the cells' incidents back
    (a bulk load's recount re-read and re-tallied every incident of every day it touched, with a
    timeline subquery each, and a day straddling two batches twice: about a quarter of the load).
    Rows already there for a key are merged with the new tally: counts add, histogram buckets add
    their counts and keep the least and greatest of both."""
    by_day: dict[date, list[NewIncident]] = defaultdict(list)
    for incident in new:
        by_day[_day(incident[7])].append(incident)
    _lock(conn, sorted({(day, incident[0]) for day, incidents in by_day.items() for incident in incidents}))
    for day, incidents in sorted(by_day.items()):
        orgs = {incident[0] for incident in incidents}
        counted = [incident for incident in incidents if not incident[14]]
        terms: dict[tuple, int] = defaultdict(int)
        for incident in counted:
            for kind, term in incident[15]:
                terms[(incident[0], incident[5], kind, term)] += 1
        _add_terms(conn, day, orgs, terms)
        statuses: dict[tuple, int] = defaultdict(int)
        for incident in incidents:
            statuses[(incident[0], incident[5], incident[6])] += 1
        _add_statuses(conn, day, statuses)
        _add_rollups(conn, day, orgs, _tally(day, (incident[:14] for incident in counted)))


def _add_terms(conn: Connection, day: date, orgs: set[int], terms: dict[tuple, int]) -> None:
    """Add (organisation, label, kind, term) → incidents to ``day``'s term rollups."""
    if not terms:
        return
    t = TermRollup
    stored = {(org, tlp, kind, term): (row_id, n) for row_id, org, tlp, kind, term, n in conn.execute(
        select(t.id, t.reporter_org_id, t.tlp, t.kind, t.term, t.incidents)
        .where(t.day == day, t.reporter_org_id.in_(orgs)))}
    grown = [{"row_id": stored[key][0], "n": stored[key][1] + n} for key, n in terms.items() if key in stored]
    if grown:
        conn.execute(TermRollup.__table__.update().where(TermRollup.__table__.c.id == bindparam("row_id"))
                     .values(incidents=bindparam("n")), grown)
    fresh = [{"day": day, "reporter_org_id": org, "tlp": tlp, "kind": kind, "term": term[:300], "incidents": n}
             for (org, tlp, kind, term), n in terms.items() if (org, tlp, kind, term) not in stored]
    if fresh:
        conn.execute(insert(TermRollup.__table__), fresh)


def _add_statuses(conn: Connection, day: date, change: dict[tuple, int]) -> None:
    """Add (organisation, label, status) → incidents to ``day``'s status cells and to the totals."""
    if not change:
        return
    rows = [{"day": day, "reporter_org_id": org, "tlp": tlp, "status": status, "n": n}
            for (org, tlp, status), n in sorted(change.items(), key=lambda item: (item[0][0], str(item[0][1]),
                                                                                    str(item[0][2])))]
    upsert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(StatusCell.__table__)
    conn.execute(upsert.on_conflict_do_update(index_elements=["day", "reporter_org_id", "tlp", "status"],
                                              set_={"n": StatusCell.__table__.c.n + upsert.excluded.n}), rows)
    _add_to_totals(conn, change)


def _add_rollups(conn: Connection, day: date, orgs: set[int], cells: dict[tuple, _Cell]) -> None:
    """Add tallied ``cells`` to ``day``'s rollup rows: a key with a row already is merged with it and
    both are written again as one row (as a recount would write it); the others are new rows."""
    if not cells:
        return
    stored = {tuple(row[1:-1]): (row[0], row[-1]) for row in conn.execute(
        select(IncidentRollup.id, *(IncidentRollup.__table__.c[k] for k in _KEY), IncidentRollup.incidents)
        .where(IncidentRollup.day == day, IncidentRollup.reporter_org_id.in_(orgs)))}
    merged = {stored[key][0]: key for key in cells if key in stored}
    ids = sorted(merged)
    for n in range(0, len(ids), 500):
        chunk = ids[n:n + 500]
        for rollup_id, measure, b, count, least, greatest in conn.execute(
                select(RollupDuration.rollup_id, RollupDuration.measure, RollupDuration.bucket, RollupDuration.n,
                       RollupDuration.least, RollupDuration.greatest).where(RollupDuration.rollup_id.in_(chunk))):
            cell = cells[merged[rollup_id]]
            mine = cell.durations.get((measure, b))
            cell.durations[(measure, b)] = (Bucket(count, least, greatest) if mine is None else
                                            Bucket(mine.n + count, min(mine.least, least),
                                                   max(mine.greatest, greatest)))
        conn.execute(delete(RollupDuration.__table__).where(RollupDuration.rollup_id.in_(chunk)))
        conn.execute(delete(IncidentRollup.__table__).where(IncidentRollup.id.in_(chunk)))
    for rollup_id, key in merged.items():
        cells[key].incidents += stored[key][1]
    _write_cells(conn, day, cells, duration_days=True)


_LOCK_SPACE = 0x6E63 << 40  # "nc": the advisory lock keys of rollup cells, day ordinal and organisation below


def _lock(conn: Connection, cells: list[Cell]) -> None:
    """Hold each cell until commit, taken in key order (PostgreSQL; SQLite's writer holds the database)."""
    if conn.dialect.name != "postgresql" or not cells:
        return
    keys = sorted(_LOCK_SPACE | day.toordinal() << 20 | org for day, org in cells)
    conn.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM "
                      "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"), {"keys": keys})


def _replace(conn: Connection, day: date, orgs: set[int] | None, *, terms: bool = True, statuses: bool = True,
             duration_days: bool = True, touched: set[int] | None = None,
             before: dict[int, _Was] | None = None) -> int:
    """Replace the rollup rows of ``day`` (for ``orgs``, or every organisation), with its term
    rollups, status cells and histograms' day unless ``terms``, ``statuses`` or ``duration_days``
    is false (migrations that predate them); answers how many incidents they count. With
    ``touched`` (incident ids) and where those of them the transaction moved were counted
    (``before``), only the rows they left or changed in place are tallied again, those they joined
    take them in by merging (``_add_rollups``), and the status cells change by their moves
    (``_stale``)."""
    if terms:
        _replace_terms(conn, day, orgs)
    if statuses and touched is None:
        _replace_statuses(conn, day, orgs)
    mine = [IncidentRollup.day == day]
    incidents = _incidents_of(day)
    if orgs is not None:
        mine.append(IncidentRollup.reporter_org_id.in_(orgs))
        incidents = incidents.where(Incident.reporter_org_id.in_(orgs))
    if touched is None:
        conn.execute(delete(RollupDuration.__table__).where(
            RollupDuration.rollup_id.in_(select(IncidentRollup.id).where(*mine))))
        conn.execute(delete(IncidentRollup.__table__).where(*mine))
        cells = _tally(day, conn.execute(incidents))
    else:
        stale_rows, recounted, joined, moves = _stale(conn, day, orgs, mine, touched, before or {})
        if statuses:
            _move_statuses(conn, day, moves)
        for chunk in _chunks(stale_rows):
            conn.execute(delete(RollupDuration.__table__).where(RollupDuration.rollup_id.in_(chunk)))
            conn.execute(delete(IncidentRollup.__table__).where(IncidentRollup.id.in_(chunk)))
        cells = _tally(day, chain.from_iterable(conn.execute(incidents.where(Incident.id.in_(ids)))
                                                for ids in _chunks(recounted))) if recounted else {}
        _write_cells(conn, day, cells, duration_days=duration_days)
        joiners = _tally(day, chain.from_iterable(conn.execute(incidents.where(Incident.id.in_(ids)))
                                                  for ids in _chunks(joined))) if joined else {}
        _add_rollups(conn, day, {key[0] for key in joiners}, joiners)
        return sum(cell.incidents for cell in chain(cells.values(), joiners.values()))
    _write_cells(conn, day, cells, duration_days=duration_days)
    return sum(cell.incidents for cell in cells.values())


def _write_cells(conn: Connection, day: date, cells: dict[tuple, _Cell], *, duration_days: bool) -> None:
    """Insert a day's tallied rollup rows and their histograms."""
    if not cells:
        return
    rows = [{**dict(zip(_KEY, key, strict=True)), "day": day, "incidents": cell.incidents}
            for key, cell in cells.items()]
    ids = _insert_rollups(conn, rows)
    dated = {"day": day} if duration_days else {}
    durations = [{"rollup_id": rollup_id, "measure": m, "bucket": b, "n": x.n, "least": x.least,
                  "greatest": x.greatest, **dated}
                 for rollup_id, cell in zip(ids, cells.values(), strict=True)
                 for (m, b), x in sorted(cell.durations.items())]
    if durations and conn.dialect.name == "postgresql":
        copy_rows(conn, RollupDuration.__table__, list(durations[0]), (list(d.values()) for d in durations))
    elif durations:
        _sqlite_rows(conn, RollupDuration.__table__, list(durations[0]), [list(d.values()) for d in durations])


def _sqlite_rows(conn: Connection, table, columns: list[str], rows: list[list]) -> None:
    """Insert plain rows through the driver's executemany: SQLAlchemy's per-row parameter processing
    for an insert of dictionaries was a tenth of a bulk load's time on SQLite. Values are stored as
    the column types would bind them: a label or status as its value, a date as ISO text."""
    enums = [(n, table.c[c].type.enum_cls) for n, c in enumerate(columns) if isinstance(table.c[c].type, EnumText)]
    dates = [n for n, c in enumerate(columns) if isinstance(table.c[c].type, Date)]
    for row in rows:
        for n, kind in enums:
            if row[n] is not None:
                row[n] = kind(row[n]).value
        for n in dates:
            if row[n] is not None:
                row[n] = row[n].isoformat()
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                         [tuple(row) for row in rows])


def _stale(conn: Connection, day: date, orgs: set[int] | None, mine: list, touched: set[int],
           before: dict[int, _Was]) -> tuple[list[int], list[int], list[int], dict[tuple, int]]:
    """The rollup rows of a day's cell to tally again and the incidents they are to count; the
    incidents that joined a row not tallied again (merged into it: counts add, and so do histograms);
    and the change of the day's status cells ((organisation, label, status) → incidents).

    Only the keys a touched incident is counted under now and was before (``before``; one a flush
    did not move kept its key: incident rows are written through the ORM alone) changed, and only
    theirs are read: reading every incident of a busy day at each commit made a playbook run's
    commits 40 % of its time (20,000 reports in a day, issue 13). A row an incident holds and
    changed in place is tallied again from its incidents; one it left loses it (``_take_out``) unless
    its durations were a histogram bucket's least or greatest, which cannot be taken out, and then it
    is tallied again; one it joined, as new reports do, merges it in. Neither reads the row's other
    incidents."""
    i = Incident
    keys: set[tuple] = set()
    joining: dict[int, tuple] = {}
    leaving: dict[tuple, list[tuple]] = defaultdict(list)  # key → the durations of each incident that left it
    moves: dict[tuple, int] = defaultdict(int)
    found = set()

    def on_row(counted: tuple | None) -> bool:
        """A (day, rollup key) of this recount's day and organisations."""
        return counted is not None and counted[0] == day and (orgs is None or counted[1][0] in orgs)

    def on_cell(cell: tuple | None) -> bool:
        """A status cell (day, organisation, label, status) of this recount's day and organisations."""
        return cell is not None and cell[0] == day and (orgs is None or cell[1] in orgs)

    def count(incident_id: int, was: _Was, now: _Was) -> None:
        if was is _UNSURE:
            if on_row(now.rollup):
                keys.add(now.rollup[1])
            return
        if on_row(was.rollup):  # it leaves its row, and joins the one it is in now (maybe the same)
            leaving[was.rollup[1]].append(was.durations)
        if on_row(now.rollup):
            joining[incident_id] = now.rollup[1]
        if now.status != was.status:
            if on_cell(now.status):
                moves[now.status[1:]] += 1
            if on_cell(was.status):
                moves[was.status[1:]] -= 1

    for ids in _chunks(sorted(touched)):
        for incident_id, *row in conn.execute(
                select(i.id, i.reported_at, *_KEY_SELECT, i.resolved_at, i.closed_at, i.merged_into_id)
                .where(i.id.in_(ids))):
            found.add(incident_id)
            if (was := before.get(incident_id)) is not None:  # else nothing it is counted by changed
                count(incident_id, was, _was(*row))
    for incident_id in touched - found:  # deleted in this transaction: counted nowhere now
        count(incident_id, before.get(incident_id, _NEW), _NEW)
    moves = {k: n for k, n in moves.items() if n}
    keys |= _take_out(conn, mine, {key: left for key, left in leaving.items() if key not in keys})
    joined = sorted(incident_id for incident_id, key in joining.items() if key not in keys)
    if not keys:
        return [], [], joined, moves
    stored = {tuple(row[1:]): row[0] for row in conn.execute(
        select(IncidentRollup.id, *(IncidentRollup.__table__.c[k] for k in _KEY)).where(*mine))}
    members: list[int] = []
    stmt = select(i.id, *_KEY_SELECT, i.resolved_at, i.closed_at).where(
        *_counted_on(day), _unmerged(), tuple_(*_KEY_SELECT).in_(sorted({key[:7] for key in keys}, key=repr)))
    for incident_id, *key, resolved, closed in conn.execute(stmt):
        if _key_of(*key, resolved, closed) in keys:
            members.append(incident_id)
    return [stored[k] for k in keys if k in stored], sorted(members), joined, moves


def _take_out(conn: Connection, mine: list, leaving: dict[tuple, list[tuple]]) -> set[tuple]:
    """Take the incidents that left rows out of them (``leaving``: key → the durations each added),
    where that is exact: a bucket keeps its least and greatest when the duration taken out lies
    strictly between them, or all of its durations are equal. Answers the keys where it is not (a
    duration that was its bucket's least or greatest: the next one is not known without the row's
    incidents), left as they were for a tally from their incidents."""
    if not leaving:
        return set()
    r, d = IncidentRollup.__table__, RollupDuration.__table__
    stored = {tuple(row[1:-1]): (row[0], row[-1]) for row in conn.execute(
        select(r.c.id, *(r.c[k] for k in _KEY), r.c.incidents).where(*mine))}
    again = {key for key in leaving if key not in stored}
    rows = {stored[key][0]: key for key in leaving if key in stored}
    histograms: dict[int, dict[tuple, list]] = defaultdict(dict)
    for ids in _chunks(sorted(rows)):
        for rollup_id, measure, b, n, least, greatest in conn.execute(
                select(d.c.rollup_id, d.c.measure, d.c.bucket, d.c.n, d.c.least, d.c.greatest)
                .where(d.c.rollup_id.in_(ids))):
            histograms[rollup_id][(measure, b)] = [n, least, greatest]
    emptied, shrunk, counts, gone = [], [], [], []
    for rollup_id, key in rows.items():
        histogram = histograms[rollup_id]
        before = {b: found[0] for b, found in histogram.items()}
        left = stored[key][1] - len(leaving[key])
        if left < 0 or not _taken_out(histogram, leaving[key]) or (left == 0 and any(
                n for n, _, _ in histogram.values())):
            again.add(key)
            continue
        if left == 0:
            gone.append(rollup_id)
            continue
        counts.append({"row_id": rollup_id, "n": left})
        for (measure, b), (n, _, _) in histogram.items():
            if n == 0:
                emptied.append({"row_id": rollup_id, "m": measure, "b": b})
            elif n != before[(measure, b)]:
                shrunk.append({"row_id": rollup_id, "m": measure, "b": b, "n": n})
    by_bucket = (d.c.rollup_id == bindparam("row_id"), d.c.measure == bindparam("m"), d.c.bucket == bindparam("b"))
    if emptied:
        conn.execute(delete(d).where(*by_bucket), emptied)
    if shrunk:
        conn.execute(d.update().where(*by_bucket).values(n=bindparam("n")), shrunk)
    if counts:
        conn.execute(r.update().where(r.c.id == bindparam("row_id")).values(incidents=bindparam("n")), counts)
    for ids in _chunks(gone):
        conn.execute(delete(d).where(d.c.rollup_id.in_(ids)))
        conn.execute(delete(r).where(r.c.id.in_(ids)))
    return again


def _taken_out(histogram: dict[tuple, list], leavers: list[tuple]) -> bool:
    """Take each leaver's durations out of ``histogram`` ((measure, bucket) → [n, least, greatest], changed
    in place); false as soon as one cannot be taken out exactly."""
    for durations in leavers:
        if durations is None:
            return False
        for measure, seconds in durations:
            found = histogram.get((measure, bucket_of(seconds)))
            if found is None or found[0] < 1:
                return False
            n, least, greatest = found
            if n > 1 and not (least < seconds < greatest or least == seconds == greatest):
                return False
            found[0] = n - 1
    return True


def _move_statuses(conn: Connection, day: date, change: dict[tuple, int]) -> None:
    """Add ``change`` to ``day``'s status cells and to the totals, dropping cells left empty (a recount
    writes none)."""
    if not change:
        return
    _add_statuses(conn, day, change)
    conn.execute(delete(StatusCell.__table__).where(StatusCell.day == day, StatusCell.n == 0))


def _key_of(org, sector, rsit_class, severity, communicated, tlp, status, resolved, closed) -> tuple:
    """A rollup row's key (``_KEY``) for an incident's values: its ``ended_on`` the day it was first
    resolved or closed."""
    ends = [t for t in (resolved, closed) if t is not None]
    return org, sector, rsit_class, severity, communicated, tlp, status, _day(min(ends)) if ends else None


def _chunks(ids: list[int], size: int = 500):
    return (ids[n:n + size] for n in range(0, len(ids), size))


def _counted_on(day: date) -> list:
    start = datetime.combine(day, time(), tzinfo=timezone.utc)
    return [Incident.reported_at >= start, Incident.reported_at < start + timedelta(days=1)]


def _insert_rollups(conn: Connection, rows: list[dict]) -> list[int]:
    """Insert a day's rollup rows; answers their ids in row order. A day holds about one row per
    incident, so the ids are chosen first and the rows go in with them in one executemany: on
    SQLite the ids after the largest (the day's DELETE already took the database's one write lock,
    so no other writer can take them; an INSERT ... RETURNING in parameter order went row by row,
    a third of a bulk load's rollup time, measured for issue 15); on PostgreSQL ids drawn from the
    sequence, then one COPY (the driver parsed the long INSERT longer than the server ran it)."""
    table = IncidentRollup.__table__
    if conn.dialect.name != "postgresql":
        first = conn.execute(select(func.coalesce(func.max(IncidentRollup.id), 0) + 1)).scalar_one()
        ids = list(range(first, first + len(rows)))
        _sqlite_rows(conn, table, ["id", *rows[0]],
                     [[rollup_id, *row.values()] for rollup_id, row in zip(ids, rows, strict=True)])
        return ids
    ids = list(conn.execute(text("SELECT nextval(pg_get_serial_sequence('incident_rollups', 'id')) "
                                 "FROM generate_series(1, :n)"), {"n": len(rows)}).scalars())
    copy_rows(conn, table, ["id", *rows[0]],
              ([rollup_id, *row.values()] for rollup_id, row in zip(ids, rows, strict=True)))
    return ids


def _replace_terms(conn: Connection, day: date, orgs: set[int] | None) -> None:
    """Replace the term rollup rows of ``day`` (for ``orgs``, or every organisation)."""
    mine = [TermRollup.day == day] + ([TermRollup.reporter_org_id.in_(orgs)] if orgs is not None else [])
    conn.execute(delete(TermRollup.__table__).where(*mine))
    start = datetime.combine(day, time(), tzinfo=timezone.utc)
    i = Incident
    counted = [i.reported_at >= start, i.reported_at < start + timedelta(days=1), _unmerged()]
    if orgs is not None:
        counted.append(i.reporter_org_id.in_(orgs))
    carrying: dict[tuple, set[int]] = defaultdict(set)
    cves = (select(i.id, i.reporter_org_id, i.tlp, Indicator.value)
            .join(IncidentIndicator, IncidentIndicator.incident_id == i.id)
            .join(Indicator, Indicator.id == IncidentIndicator.indicator_id)
            .where(*counted, Indicator.type == "cve"))
    for incident_id, org, tlp, value in conn.execute(cves):
        carrying[(org, tlp, "cve", value)].add(incident_id)
    tags = _tag_items(conn)
    tagged = (select(i.id, i.reporter_org_id, i.tlp, tags.c.value)
              .join(MispEvent, MispEvent.incident_id == i.id).join(tags, tags.c.value.is_not(None))
              .where(*counted, MispEvent.deleted.is_(False), tags.c.value.like("misp-galaxy:%")))
    for incident_id, org, tlp, tag in conn.execute(tagged):
        if (found := galaxies.term(tag)) is not None:
            carrying[(org, tlp, *found)].add(incident_id)
    if carrying:
        conn.execute(insert(TermRollup.__table__), [
            {"day": day, "reporter_org_id": org, "tlp": tlp, "kind": kind, "term": term[:300], "incidents": len(ids)}
            for (org, tlp, kind, term), ids in carrying.items()])


def _replace_statuses(conn: Connection, day: date, orgs: set[int] | None) -> None:
    """Recount the status cells of ``day`` (for ``orgs``, or every organisation) and add what changed
    to the status totals."""
    mine = [StatusCell.day == day] + ([StatusCell.reporter_org_id.in_(orgs)] if orgs is not None else [])
    key = (StatusCell.reporter_org_id, StatusCell.tlp, StatusCell.status)
    was = {tuple(row[:3]): row[3] for row in conn.execute(select(*key, StatusCell.n).where(*mine))}
    start = datetime.combine(day, time(), tzinfo=timezone.utc)
    i = Incident
    counted = [i.reported_at >= start, i.reported_at < start + timedelta(days=1)]
    if orgs is not None:
        counted.append(i.reporter_org_id.in_(orgs))
    now = {tuple(row[:3]): row[3] for row in conn.execute(
        select(i.reporter_org_id, i.tlp, i.status, func.count()).where(*counted)
        .group_by(i.reporter_org_id, i.tlp, i.status))}
    if now == was:
        return
    conn.execute(delete(StatusCell.__table__).where(*mine))
    if now:
        conn.execute(insert(StatusCell.__table__), [
            {"day": day, "reporter_org_id": org, "tlp": tlp, "status": status, "n": n}
            for (org, tlp, status), n in now.items()])
    change = {k: now.get(k, 0) - was.get(k, 0) for k in now.keys() | was.keys()}
    _add_to_totals(conn, {k: n for k, n in change.items() if n})


def _add_to_totals(conn: Connection, change: dict[tuple, int]) -> None:
    """Add ``change`` ((organisation, label, status) → incidents) to the status totals, in key order
    (two commits then never wait on each other's rows)."""
    if not change:
        return
    rows = [{"reporter_org_id": org, "tlp": tlp, "status": status, "n": n}
            for (org, tlp, status), n in sorted(change.items(), key=lambda item: (item[0][0], str(item[0][1]),
                                                                                    str(item[0][2])))]
    upsert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(StatusTotal.__table__)
    conn.execute(upsert.on_conflict_do_update(index_elements=["reporter_org_id", "tlp", "status"],
                                              set_={"n": StatusTotal.__table__.c.n + upsert.excluded.n}), rows)


def _tag_items(conn: Connection):
    """One row per tag of each MISP event (tags are a JSON list): json_each on SQLite,
    json_array_elements_text on PostgreSQL, set-returning functions in FROM that read the
    event joined before them (SQLite does so without the LATERAL keyword, which it lacks)."""
    if conn.dialect.name == "sqlite":
        return func.json_each(MispEvent.tags).table_valued("value")
    return func.json_array_elements_text(MispEvent.tags).table_valued("value").lateral()


_KEY = ("reporter_org_id", "sector_id", "rsit_class", "severity", "communicated_severity", "tlp", "status",
        "ended_on")
_KEY_SELECT = (Incident.reporter_org_id, Incident.sector_id, Incident.rsit_class, Incident.severity,
               Incident.communicated_severity, Incident.tlp, Incident.status)
# The incident's attributes where it is counted depends on (``_Was``): its rollup key, day, status cell and
# the durations it adds to its row.
_COUNTED_BY = frozenset({"reporter_org_id", "sector_id", "rsit_class", "severity", "communicated_severity", "tlp",
                         "status", "resolved_at", "closed_at", "reported_at", "merged_into_id", "acknowledged_at",
                         "aware_at", "occurred_at"})


def _incidents_of(day: date):
    """The day's incidents that count (merged duplicates do not), with the first move to
    contained that their reporter may read (a status entry that is not internal)."""
    start = datetime.combine(day, time(), tzinfo=timezone.utc)
    i = Incident
    return (select(i.reporter_org_id, i.sector_id, i.rsit_class, i.severity, i.communicated_severity, i.tlp, i.status,
                   i.reported_at, i.acknowledged_at, i.resolved_at, i.closed_at, i.aware_at, i.occurred_at,
                   _contained())
            .where(i.reported_at >= start, i.reported_at < start + timedelta(days=1), _unmerged()))


def _contained():
    """An incident's first move to contained that its reporter may read (a status entry that is not
    internal), per incident through the timeline's incident index."""
    return (select(func.min(TimelineEntry.at))
            .where(TimelineEntry.incident_id == Incident.id, TimelineEntry.kind == "status",
                   TimelineEntry.internal.is_(False),
                   TimelineEntry.details["new"].as_string() == Status.CONTAINED.value)
            .scalar_subquery())


def _unmerged():
    """Not merged into another incident, spelled so that no index serves it: after ANALYZE, SQLite
    reads ix_incidents_merged_into_id as selective for IS NULL and walked every unmerged incident of
    the country for one day's cell (the rule of ``incident_stats.counted``)."""
    return func.coalesce(Incident.merged_into_id, 0) == 0


@dataclass
class _Cell:
    incidents: int = 0
    durations: dict[tuple[str, int], Bucket] = field(default_factory=dict)

    def add(self, measure: str, seconds: float | None) -> None:
        if seconds is None:
            return
        key = (measure, bucket_of(seconds))
        b = self.durations.get(key)
        self.durations[key] = (Bucket(1, seconds, seconds) if b is None else
                               Bucket(b.n + 1, min(b.least, seconds), max(b.greatest, seconds)))


def _tally(day: date, rows) -> dict[tuple, _Cell]:
    cells: dict[tuple, _Cell] = defaultdict(_Cell)
    for (org, sector, rsit_class, severity, communicated, tlp, status, reported, acknowledged, resolved, closed,
         aware, occurred, contained) in rows:
        cell = cells[_key_of(org, sector, rsit_class, severity, communicated, tlp, status, resolved, closed)]
        cell.incidents += 1
        for measure, seconds in _durations(reported, acknowledged, resolved, aware, occurred, contained):
            cell.add(measure, seconds)
    return cells


def _durations(reported, acknowledged, resolved, aware, occurred, contained) -> tuple[tuple[str, float], ...]:
    """The (measure, seconds) an incident adds to its rollup row's histograms, for those it has."""
    found = (("acknowledge", _seconds(acknowledged, reported)), ("contain", _seconds(contained or resolved, reported)),
             ("resolve", _seconds(resolved, reported)), ("delay", _seconds(reported, aware or occurred)))
    return tuple((measure, seconds) for measure, seconds in found if seconds is not None)


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    return (later - earlier).total_seconds() if later is not None and earlier is not None else None


# -- rebuilt on demand ----------------------------------------------------------------

Progress = Callable[[int, int], None]  # (days recounted, days in all)


def rebuild(session: Session, actor: Actor, progress: Progress | None = None) -> int:
    """Recount every day's rollups from the incidents (idempotent): national staff only.
    Answers how many incidents they count."""
    if not actor.is_national:
        raise Forbidden(N_("only the national centre rebuilds the rollups"))
    session.flush()
    total = rebuild_all(session.connection(), progress)
    audit.record(session, actor, "rollups.rebuild", "incident_rollups", "all", incidents=total)
    return total


def rebuild_all(conn: Connection, progress: Progress | None = None, *, terms: bool = True,
                statuses: bool = True, duration_days: bool = True) -> int:
    """``rebuild`` on a bare connection (the migrations'; 0010b predates the term rollups, the status
    totals and the histograms' day)."""
    conn.execute(delete(RollupDuration.__table__))
    conn.execute(delete(IncidentRollup.__table__))
    if terms:
        conn.execute(delete(TermRollup.__table__))
    if statuses:
        conn.execute(delete(StatusCell.__table__))
        conn.execute(delete(StatusTotal.__table__))
    days = _days(conn)
    total = 0
    for n, day in enumerate(days, 1):
        total += _replace(conn, day, None, terms=terms, statuses=statuses, duration_days=duration_days)
        if progress:
            progress(n, len(days))
    return total


def rebuild_terms(conn: Connection) -> None:
    """Count the term rollups of every day from the incidents (migration 0014, for data written before them)."""
    conn.execute(delete(TermRollup.__table__))
    for day in _days(conn):
        _replace_terms(conn, day, None)


def rebuild_statuses(conn: Connection) -> None:
    """Count the status cells and totals from the incidents (migration 0020, for data written before them)."""
    conn.execute(delete(StatusCell.__table__))
    conn.execute(delete(StatusTotal.__table__))
    for day in _days(conn):
        _replace_statuses(conn, day, None)


def _days(conn: Connection) -> list[date]:
    """Every UTC day from the first report's to the last's."""
    first, last = conn.execute(select(func.min(Incident.reported_at), func.max(Incident.reported_at))).one()
    if first is None:
        return []
    return [_day(first) + timedelta(days=n) for n in range((_day(last) - _day(first)).days + 1)]
