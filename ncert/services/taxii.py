"""TAXII 2.1 collections and the STIX object store behind them.

This is the backend of ``ncert.taxii`` (the HTTP door), in the shape of the
TAXII spec (https://docs.oasis-open.org/cti/taxii/v2.1/os/taxii-v2.1-os.html):
collections, add objects (§5.5), get objects / manifest (§5.3, §5.4, §5.6),
versions (§5.8), delete (§5.7) and status (§4.3). Object versions are stored
verbatim as JSON text, keyed by (collection, pushing organisation, id,
version), so a page is built by joining stored text, never by re-serialising,
and what one organisation pushed never tells another that an object exists.

Paging is keyset over (date_added, row id) with a stateless token, so it costs
the same at the end of a million-object collection as at the start and works
behind any number of web processes.
"""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Iterable, Iterator

import orjson
from sqlalchemy import Select, false, func, or_, select, text, tuple_, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from ingest.stix.timestamps import parse_timestamp
from ingest.stix.tlp import tlp_of
from ingest.stix.validate import StixObjectError, check
from ncert.access import AUDIENCE_LABELS, CollectionAccess, collection_access, scope_stix
from ncert.actor import Actor
from ncert.bodies import nests_deeper, too_deep_message
from ncert.config import MAX_JSON_DEPTH
from ncert.db import bulk_insert, insert_trigger_suspended, utcnow
from ncert.errors import BadRequest, Forbidden, NotFound
from ncert.models import Sector, StixObject, TaxiiCollection, TaxiiStatus
from ncert.search import indexing
from ncert.services import audit

BATCH = 2000
STORED_COLUMNS = ("collection_id", "stix_id", "type", "spec_version", "version", "date_added", "org_id", "tlp",
                  "revoked", "is_latest", "body", "search_text")
LOOKUP_CHUNK = 400
# Status resources list successes and failures only for pushes up to this size
# (the lists are optional in TAXII 2.1 §4.3.1; counts are always exact).
STATUS_LIST_LIMIT = 10_000
# The width of StixObject.type: longer STIX type names (up to 250, §3.1) are refused per object.
STIX_TYPE_MAX = StixObject.__table__.c.type.type.length
NATIONAL_COLLECTIONS = {
    "national-sector-certs": ("National sharing: sector CERTs", "sector-certs"),
    "national-partners": ("National sharing: international partners", "international-partners"),
}


# -- collections ----------------------------------------------------------------------


def ensure_collections(session: Session) -> int:
    """Create any missing collection: one inbox per sector and one national collection
    per audience. Idempotent; returns how many were created."""
    have = set(session.scalars(select(TaxiiCollection.alias)))
    created = 0
    for sector in session.scalars(select(Sector).order_by(Sector.slug)):
        alias = f"inbox-{sector.slug}"
        if alias not in have:
            session.add(TaxiiCollection(
                id=str(uuid.uuid4()), alias=alias, title=f"{sector.name}: sector inbox", kind="inbox",
                sector_id=sector.id,
                description=f"Organisations of the {sector.name} sector submit STIX 2.1 here; "
                            "each reads back its own."))
            created += 1
    for alias, (title, audience) in NATIONAL_COLLECTIONS.items():
        if alias not in have:
            labels = " and ".join(str(t) for t in AUDIENCE_LABELS)
            session.add(TaxiiCollection(
                id=str(uuid.uuid4()), alias=alias, title=title, kind="national", audience=audience,
                description=f"What the national centre publishes to {audience.replace('-', ' ')} ({labels} only)."))
            created += 1
    session.flush()
    return created


def collections(session: Session, actor: Actor) -> list[tuple[TaxiiCollection, CollectionAccess]]:
    """The collections the actor can read or write, in a stable order."""
    rows = session.scalars(select(TaxiiCollection).order_by(TaxiiCollection.kind.desc(), TaxiiCollection.alias))
    result = [(c, collection_access(actor, c)) for c in rows]
    return [(c, a) for c, a in result if a.can_read or a.can_write]


def collection(session: Session, actor: Actor, key: str) -> tuple[TaxiiCollection, CollectionAccess]:
    """A collection by id or alias; 404 when unknown or neither readable nor writable."""
    found = session.scalar(select(TaxiiCollection).where(or_(TaxiiCollection.id == key, TaxiiCollection.alias == key)))
    if found is not None:
        access = collection_access(actor, found)
        if access.can_read or access.can_write:
            return found, access
    raise NotFound(f"no collection {key!r}")


# -- versions and timestamps -----------------------------------------------------------


def canonical_version(text: str) -> str:
    """A STIX timestamp as a fixed-width sortable string (microsecond precision)."""
    return taxii_timestamp(parse_timestamp(text))


def taxii_timestamp(value: datetime) -> str:
    """TAXII timestamps carry microseconds (TAXII 2.1 §3.2)."""
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return value.isoformat("T", "microseconds")[:26] + "Z"


# -- adding objects --------------------------------------------------------------------


@dataclass
class Intake:
    """The running outcome of one push; becomes the TAXII status resource.

    Counts are exact. The per-object lists are kept only up to
    STATUS_LIST_LIMIT entries each (they are optional in a TAXII status), so a
    million-object import does not hold a million entries in memory.
    """

    created: int = 0  # objects not stored before
    updated: int = 0  # new versions of stored objects
    unchanged: int = 0
    succeeded: int = 0
    failed: int = 0
    successes: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)  # failure message -> count
    not_queued: Counter = field(default_factory=Counter)  # stored, but kept out of the queue: reason -> count

    def success(self, entry: dict) -> None:
        self.succeeded += 1
        if len(self.successes) < STATUS_LIST_LIMIT:
            self.successes.append(entry)

    def note(self, problems: dict[str, str], batch_size: int) -> None:
        """Say, on the last batch's success entries, why some objects could not enter the queue."""
        self.not_queued.update(problems.values())
        for entry in self.successes[-batch_size:]:
            if entry["id"] in problems:
                entry["message"] = problems[entry["id"]]

    def failure(self, entry: dict) -> None:
        self.failed += 1
        self.reasons[entry["message"]] += 1
        if len(self.failures) < STATUS_LIST_LIMIT:
            self.failures.append(entry)


def add_objects(session: Session, actor: Actor, coll: TaxiiCollection, objects: Iterable[dict],
                *, on_stored=None, max_depth: int = MAX_JSON_DEPTH) -> TaxiiStatus:
    """Store a push of STIX objects and record its status resource (TAXII 2.1 §5.5)."""
    intake = Intake()
    for intake in store(session, actor, coll, objects, on_stored=on_stored, max_depth=max_depth):
        pass
    status = _status(coll, actor, intake)
    session.add(status)
    session.flush()
    audit.record(session, actor, "taxii.add_objects", "collection", coll.alias, status=status.id,
                 created=intake.created, updated=intake.updated, unchanged=intake.unchanged,
                 failed=intake.failed)
    return status


def store(session: Session, actor: Actor, coll: TaxiiCollection, objects: Iterable[dict], *, on_stored=None,
          batch_size: int = BATCH, max_depth: int = MAX_JSON_DEPTH) -> Iterator[Intake]:
    """Store objects batch by batch, yielding the running Intake after each.

    One bad object never loses the good ones: it is reported in the Intake,
    whether it is invalid, nests deeper than ``max_depth`` or fails at storage.
    The same version again from the same organisation is a no-op; a newer
    version becomes that organisation's latest.
    ``on_stored(session, actor, coll, objects)`` receives each batch's new
    objects (checked ``ingest.stix.validate.StixObject``), so the domain
    mapping runs in the same transaction as the store; it may return, by STIX
    id, why an object could not enter the queue, which the status then says.
    """
    if not collection_access(actor, coll).can_write:
        raise Forbidden(f"you cannot write to collection {coll.alias}")
    intake, clock = Intake(), _Clock()
    for batch in _batches(objects, batch_size):
        stored = _store_batch(session, actor, coll, batch, intake, clock, max_depth)
        if stored and on_stored is not None:
            intake.note(on_stored(session, actor, coll, stored) or {}, len(batch))
        yield intake


class _Clock:
    """Hands out strictly increasing date_added values, so every object of a push
    has its own place in the (date_added, id) order. Reads the real clock once
    per batch and counts microseconds within it."""

    STEP = timedelta(microseconds=1)

    def __init__(self) -> None:
        self.last = utcnow() - self.STEP

    def start_batch(self) -> None:
        self.last = max(utcnow() - self.STEP, self.last)

    def next(self) -> datetime:
        self.last += self.STEP
        return self.last


def _batches(items: Iterable[dict], size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store_batch(session: Session, actor: Actor, coll: TaxiiCollection, batch: list, intake: Intake,
                 clock: _Clock, max_depth: int) -> list:
    clock.start_batch()
    checked = []
    for raw in batch:
        try:
            if nests_deeper(raw, max_depth):
                raise StixObjectError(too_deep_message(max_depth, "the object"), raw)
            obj = check(raw)
            body = _storable(obj)
        except StixObjectError as exc:
            intake.failure(_failure(raw, str(exc)))
            continue
        checked.append((obj, taxii_timestamp(obj.version) if obj.version else "", body))
    if not checked:
        return []

    known: dict[str, set[str]] = {}
    latest: dict[str, str] = {}
    ids = list({obj.id for obj, _, _ in checked})
    for i in range(0, len(ids), LOOKUP_CHUNK):
        stmt = select(StixObject.stix_id, StixObject.version, StixObject.is_latest).where(
            *_own(actor, coll), StixObject.stix_id.in_(ids[i : i + LOOKUP_CHUNK]))
        for stix_id, version, is_latest in session.execute(stmt):
            known.setdefault(stix_id, set()).add(version)
            if is_latest:
                latest[stix_id] = version

    rows, pending, newest = [], [], {}
    for obj, version, body in checked:
        versions = known.setdefault(obj.id, set())
        entry = {"id": obj.id, "version": obj.raw.get("modified") or obj.raw.get("created") or "",
                 "message": "stored; revoked" if obj.revoked else "stored"}
        if version in versions:
            intake.unchanged += 1
            entry["message"] = "unchanged: this version is already stored"
            intake.success(entry)
            continue
        pending.append((obj, version, entry, bool(versions)))
        versions.add(version)
        if version >= max(latest.get(obj.id, ""), newest.get(obj.id, "")):
            newest[obj.id] = version
        label = tlp_of(obj)
        rows.append([coll.id, obj.id, obj.type, obj.spec_version, version, clock.next(), actor.org_id,
                     label.value if label else None, obj.revoked, False, body, search_text(obj.raw)])

    superseded = [sid for sid in newest if sid in latest]
    for i in range(0, len(superseded), LOOKUP_CHUNK):
        session.execute(update(StixObject).where(
            *_own(actor, coll), StixObject.stix_id.in_(superseded[i : i + LOOKUP_CHUNK]),
            StixObject.is_latest.is_(True),
        ).values(is_latest=False))
    for row in rows:
        row[9] = newest.get(row[1]) == row[4]  # is_latest
    refused = _insert(session, actor, coll, rows)
    indexing.stix_changed(session, coll.id, actor.org_id, list(newest))  # new rows and flipped latest flags

    stored = []
    for (obj, version, entry, update_of_stored), row in zip(pending, rows):
        if id(row) in refused:
            intake.failure({**entry, "message": refused[id(row)]})
            continue
        intake.updated += update_of_stored
        intake.created += not update_of_stored
        intake.success(entry)
        # Only what became the latest version means something now: an older version
        # arriving late is kept for TAXII, but must not roll the queue back.
        if row[9]:
            stored.append(obj)
    return stored


def _own(actor: Actor, coll: TaxiiCollection) -> tuple:
    """The rows of ``coll`` pushed by the actor's organisation: versions and existence are per organisation."""
    return StixObject.collection_id == coll.id, StixObject.org_id == actor.org_id


def search_text(raw: dict) -> str:
    """What search reads of an object (``ncert.search.stix``): its name and pattern (without NUL,
    which PostgreSQL text cannot hold; the body keeps it, escaped)."""
    return " ".join(value for value in (raw.get("name"), raw.get("pattern")) if isinstance(value, str)).replace(
        "\x00", "")


def _storable(obj) -> str:
    """The object's JSON text for storage; a StixObjectError when storage could not hold it."""
    if len(obj.type) > STIX_TYPE_MAX:  # the id is the type and 38 characters more: it fits when the type does
        raise StixObjectError(f"'type' longer than {STIX_TYPE_MAX} characters is not stored here", obj.raw)
    try:
        return orjson.dumps(obj.raw).decode()
    except orjson.JSONEncodeError as exc:  # integers past 64 bits, lone surrogates
        raise StixObjectError(f"the object cannot be stored: {exc}", obj.raw) from None


def _insert(session: Session, actor: Actor, coll: TaxiiCollection, rows: list) -> dict[int, str]:
    """Insert the batch at once; should the database refuse it, row by row, each in its own
    savepoint. Returns why, by ``id(row)``, the rows it refused. On SQLite the rows' text is
    indexed (``stix_fts``) after them in one statement, not by a trigger per row
    (``ncert.db.insert_trigger_suspended``)."""
    with insert_trigger_suspended(session, _FTS_INSERT_TRIGGER) as suspended:
        before = session.scalar(select(func.coalesce(func.max(StixObject.id), 0))) if suspended else 0
        refused = _insert_rows(session, actor, coll, rows)
        if suspended:  # SQLite gives new rows ids past the largest
            session.execute(text("INSERT INTO stix_fts(rowid, search_text) "
                                 "SELECT id, search_text FROM stix_objects WHERE id > :before"), {"before": before})
    return refused


_FTS_INSERT_TRIGGER = "stix_fts_insert"  # created by migration 0023


def _insert_rows(session: Session, actor: Actor, coll: TaxiiCollection, rows: list) -> dict[int, str]:
    try:
        with session.begin_nested():
            bulk_insert(session, StixObject.__table__, STORED_COLUMNS, rows)
        return {}
    except DBAPIError:
        pass
    refused = {}
    for row in rows:
        try:
            with session.begin_nested():
                bulk_insert(session, StixObject.__table__, STORED_COLUMNS, [row])
        except DBAPIError as exc:
            refused[id(row)] = f"the object cannot be stored: {type(exc.orig).__name__}"
    for stix_id in {row[1] for row in rows}:  # the latest flags as the rows stored make them
        _relatest(session, coll, actor.org_id, stix_id)
    return refused


def _failure(raw, message: str) -> dict:
    obj = raw if isinstance(raw, dict) else {}
    ident = obj.get("id") if isinstance(obj.get("id"), str) else "unknown"
    version = obj.get("modified") or obj.get("created") or ""
    return {"id": ident, "version": version if isinstance(version, str) else "", "message": message}


def _status(coll: TaxiiCollection, actor: Actor, intake: Intake) -> TaxiiStatus:
    # A list is either complete or left out: clients check its length against its count.
    return TaxiiStatus(
        id=str(uuid.uuid4()), collection_id=coll.id, org_id=actor.org_id, status="complete",
        total_count=intake.succeeded + intake.failed, success_count=intake.succeeded, failure_count=intake.failed,
        pending_count=0, successes=intake.successes if len(intake.successes) == intake.succeeded else [],
        failures=intake.failures if len(intake.failures) == intake.failed else [], pendings=[],
    )


def get_status(session: Session, actor: Actor, status_id: str) -> TaxiiStatus:
    """A status resource; only its submitter's organisation and national staff see it."""
    status = session.get(TaxiiStatus, status_id)
    if status is None or not (actor.is_national or status.org_id == actor.org_id):
        raise NotFound(f"no status {status_id!r}")
    return status


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectFilter:
    """TAXII 2.1 §3.4 filtering parameters."""

    added_after: datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    rows: list  # (row id, date_added, stix_id, version, spec_version, body|None)
    more: bool
    next: str | None

    @property
    def first_added(self) -> datetime | None:
        return self.rows[0][1] if self.rows else None

    @property
    def last_added(self) -> datetime | None:
        return self.rows[-1][1] if self.rows else None


def page(session: Session, actor: Actor, coll: TaxiiCollection, f: ObjectFilter, *, limit: int,
         next_token: str | None = None, with_body: bool = True) -> Page:
    """One page of objects (or manifest entries) in date_added order."""
    if not collection_access(actor, coll).can_read:
        raise Forbidden(f"you cannot read collection {coll.alias}")
    columns = [StixObject.id, StixObject.date_added, StixObject.stix_id, StixObject.version,
               StixObject.spec_version, StixObject.body if with_body else StixObject.type]
    stmt = _filtered(actor, coll, select(*columns), f)
    if next_token:
        added, row_id = _decode_next(next_token)
        stmt = stmt.where(tuple_(StixObject.date_added, StixObject.id) > (added, row_id))
    rows = session.execute(stmt.order_by(StixObject.date_added, StixObject.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if with_body and rows and coll.kind == "national":  # what a partner takes from a national collection
        audit.record(session, actor, "taxii.export", "collection", coll.alias, objects=len(rows))
    token = _encode_next(rows[-1][1], rows[-1][0]) if more else None
    return Page(rows, more, token)


def versions(session: Session, actor: Actor, coll: TaxiiCollection, stix_id: str, f: ObjectFilter, *,
             limit: int, next_token: str | None = None) -> Page:
    """All versions of one object, in date_added order like every TAXII list (§3.4, §5.8)."""
    f = ObjectFilter(added_after=f.added_after, ids=(stix_id,), versions=("all",), spec_versions=f.spec_versions)
    return page(session, actor, coll, f, limit=limit, next_token=next_token, with_body=False)


def delete_object(session: Session, actor: Actor, coll: TaxiiCollection, stix_id: str, f: ObjectFilter) -> int:
    """Delete matching versions of an object (admins only; TAXII 2.1 §5.7)."""
    access = collection_access(actor, coll)
    if not (access.can_read or access.can_write):
        raise NotFound(f"no collection {coll.id!r}")
    if not actor.is_admin:
        raise Forbidden("only admins delete objects")
    f = ObjectFilter(ids=(stix_id,), versions=f.versions if f.versions != ("last",) else ("all",),
                     spec_versions=f.spec_versions)
    found = session.execute(_filtered(actor, coll, select(StixObject.id, StixObject.org_id), f)).all()
    if not found:
        raise NotFound(f"no object {stix_id!r} in collection {coll.id}")
    ids = [row_id for row_id, _ in found]
    for i in range(0, len(ids), LOOKUP_CHUNK):
        session.execute(StixObject.__table__.delete().where(StixObject.id.in_(ids[i : i + LOOKUP_CHUNK])))
    indexing.rows_changed(session, "stix", ids)
    for org_id in {org_id for _, org_id in found}:
        _relatest(session, coll, org_id, stix_id)
        indexing.stix_changed(session, coll.id, org_id, [stix_id])
    audit.record(session, actor, "taxii.delete_object", "stix_object", stix_id, collection=coll.alias,
                 versions=len(ids))
    return len(ids)


def _relatest(session: Session, coll: TaxiiCollection, org_id: int, stix_id: str) -> None:
    """The newest version an organisation holds of an object is its latest (after a delete or a refused row)."""
    own = (StixObject.collection_id == coll.id, StixObject.org_id == org_id, StixObject.stix_id == stix_id)
    newest = session.scalar(select(func.max(StixObject.version)).where(*own))
    if newest is not None:
        session.execute(update(StixObject).where(*own).values(is_latest=StixObject.version == newest))


def _filtered(actor: Actor, coll: TaxiiCollection, stmt: Select, f: ObjectFilter) -> Select:
    stmt = scope_stix(actor, coll, stmt)
    if f.added_after is not None:
        stmt = stmt.where(StixObject.date_added > f.added_after)
    if f.ids:
        stmt = stmt.where(StixObject.stix_id.in_(f.ids))
    if f.types:
        stmt = stmt.where(StixObject.type.in_(f.types))
    if f.spec_versions:
        stmt = stmt.where(StixObject.spec_version.in_(f.spec_versions))
    if "all" not in f.versions:
        conditions = []
        if "last" in f.versions:
            conditions.append(StixObject.is_latest.is_(True))
        if "first" in f.versions:
            older = aliased(StixObject)
            first = select(func.min(older.version)).where(
                older.collection_id == StixObject.collection_id, older.org_id == StixObject.org_id,
                older.stix_id == StixObject.stix_id,
            ).scalar_subquery()
            conditions.append(StixObject.version == first)
        exact = [v for v in f.versions if v not in ("last", "first")]
        if exact:
            conditions.append(StixObject.version.in_(exact))
        stmt = stmt.where(or_(*conditions) if conditions else false())
    return stmt


def _encode_next(added: datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([taxii_timestamp(added), row_id])).decode().rstrip("=")


def _decode_next(token: str) -> tuple[datetime, int]:
    try:
        added, row_id = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(row_id, int):
            raise ValueError
        return parse_timestamp(added), row_id
    except (ValueError, TypeError):
        raise BadRequest("the next token is not one this server issued") from None
