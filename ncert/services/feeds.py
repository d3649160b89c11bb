"""MISP feeds out, and feeds in (MISP feeds and TAXII collections).

Out: each national sharing audience (``ncert.access.AUDIENCES``) is a MISP feed
of the incidents and public advisories published to its national TAXII collection, read through
``access.scope_stix``, so only TLP:CLEAR and TLP:GREEN objects ever appear.
Feed layout (``manifest.json``, ``hashes.csv``, ``<uuid>.json``) as PyMISP's
``tools/feed.py`` and MISP ``Feed.php`` read it.

In: a registered ``FeedSource`` is pulled incrementally. A MISP feed's
manifest is read first and only events new or newer by manifest
``timestamp`` are fetched (as MISP's own ``Feed::getNewEventUuids`` does);
a TAXII collection is read with ``added_after``. Each event (each TAXII page)
is taken in in its own transaction, so a bad one loses nothing already stored;
failures are recorded on the source, never raised.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ncert import outbox
from ncert.access import AUDIENCES, collection_access, scope_stix
from ncert.actor import Actor
from ncert.config import MAX_JSON_DEPTH
from ncert.db import utcnow
from ncert.errors import Conflict, Forbidden, Invalid, NcertError, NotFound
from ncert.i18n import N_
from ncert.models import FeedSource, Organization, StixObject, TaxiiCollection
from ncert.records import Category
from ncert.sealing import SealError, is_sealed, sealer_of
from ncert.services import audit, directory
from ncert.taxonomy import TLP, OrgKind, Role

if TYPE_CHECKING:
    import requests
    from pymisp import MISPEvent

    from ncert.runtime import Runtime

# Registering, listing and sealing sources (``ncert feeds list``, ``ncert init``) needs none of the MISP,
# STIX and HTTP code: pymisp alone takes seconds to import (jsonschema's format checkers). Exporting and
# pulling import them when they run.

KINDS = ("misp", "taxii")
TAXII_PAGE = 1000
HTTP_TIMEOUT_S = 30
MAX_REPORTED_ERRORS = 5


# -- export: national audiences as MISP feeds ----------------------------------------------


def _audience_collection(session: Session, actor: Actor, audience: str) -> TaxiiCollection:
    """The national collection behind an audience's feed; 404 unknown, 403 not of that audience."""
    from ncert.services import taxii

    alias = next((alias for alias, (_, audience_of) in taxii.NATIONAL_COLLECTIONS.items() if audience_of == audience),
                 None)
    coll = session.scalar(select(TaxiiCollection).where(TaxiiCollection.alias == alias)) if alias else None
    if coll is None:
        raise NotFound(N_("no MISP feed '%(audience)s'; feeds: %(feeds)s"), audience=audience,
                       feeds=", ".join(AUDIENCES))
    if not collection_access(actor, coll).can_read:
        raise Forbidden(N_("the %(audience)s feed is for %(who)s organisations and national staff"), audience=audience,
                        who=AUDIENCES[audience])
    return coll


def _latest(session: Session, actor: Actor, coll: TaxiiCollection, *, types=(), ids=()) -> list[dict]:
    stmt = scope_stix(actor, coll, select(StixObject.body)).where(
        StixObject.is_latest.is_(True), StixObject.revoked.is_(False))
    if types:
        stmt = stmt.where(StixObject.type.in_(types))
    if ids:
        stmt = stmt.where(StixObject.stix_id.in_(ids))
    return [orjson.loads(body) for body in session.scalars(stmt.order_by(StixObject.date_added, StixObject.id))]


def _rsit(raw: dict) -> Category | None:
    """The RSIT category ncert's own STIX export writes as an external reference."""
    for ref in raw.get("external_references") or ():
        if isinstance(ref, dict) and ref.get("source_name") == "rsit":
            try:
                return Category.model_validate(str(ref.get("external_id", "")))
            except ValueError:
                return None
    return None


def _events(session: Session, actor: Actor, audience: str, national: Organization,
            only: str | None = None) -> list[MISPEvent]:
    """The audience's incidents as MISP events, ``only`` one incident STIX id if given."""
    from ingest.misp import mapping as misp
    from ingest.stix import mapping as stix
    from ingest.stix.validate import StixObjectError, check
    from ncert.services import advisory_sharing

    coll = _audience_collection(session, actor, audience)
    raws = _latest(session, actor, coll, types=("incident", "report"), ids=(only,) if only else ())
    found = []
    for raw in raws:
        try:
            obj = check(raw)
        except StixObjectError:
            continue
        if stix.is_incident(obj) or advisory_sharing.is_advisory(obj.raw):
            found.append(obj)
    if not found:
        return []
    wanted = {obj.id for obj in found}
    linked: dict[str, set[str]] = {obj.id: set(obj.raw.get("object_refs") or ()) for obj in found}
    for rel in _latest(session, actor, coll, types=("relationship",)):
        ends = (rel.get("source_ref"), rel.get("target_ref"))
        for here, there in (ends, ends[::-1]):
            if here in wanted and isinstance(there, str):
                linked[here].add(there)
    refs = {raw["id"]: raw for raw in _latest(session, actor, coll, ids=sorted(set().union(*linked.values())))}
    events = []
    for obj in found:
        related = [refs[r] for r in linked[obj.id] if r in refs]
        if advisory_sharing.is_advisory(obj.raw):
            events.append(misp.load_event(_advisory_event(obj, related, national)))
            continue
        record = stix.incident_record(obj, {r["id"]: r for r in related})
        labels = [record.tlp, *(stix.tlp_of(r) or TLP.AMBER for r in related)]
        values = {(i.type, i.value): True for i in record.indicators}
        for raw in related:
            try:
                values.update({(kind, value): True for kind, value, *_ in stix.indicator_values(check(raw))})
            except StixObjectError:
                continue
        body = misp.render_event(
            title=record.title, uuid=obj.id.split("--", 1)[1], date=obj.created.date(),
            tlp=max(labels, key=lambda t: t.rank), timestamp=obj.modified or obj.created,
            indicators=[(kind, value, True) for kind, value in values],
            category=record.category or _rsit(obj.raw), severity=record.severity, published=True,
            org_name=national.name)
        events.append(misp.load_event(body))
    return events


def _advisory_event(obj, related: list[dict], national: Organization) -> dict:
    """A published advisory's report (``advisory_sharing``) as a published event under the report's
    label (TLP:CLEAR as published): its indicators and CVEs as attributes."""
    from ingest.misp import mapping as misp
    from ingest.stix import mapping as stix
    from ingest.stix.validate import StixObjectError, check

    values = {("cve", raw["name"]): True for raw in related if raw.get("type") == "vulnerability"}
    for raw in related:
        try:
            values.update({(kind, value): True for kind, value, *_ in stix.indicator_values(check(raw))})
        except StixObjectError:
            continue
    return misp.render_event(
        title=obj.raw["name"], uuid=obj.id.split("--", 1)[1], date=obj.created.date(),
        tlp=stix.tlp_of(obj) or TLP.AMBER,
        timestamp=obj.modified or obj.created, indicators=[(kind, value, kind != "cve") for kind, value in values],
        published=True, org_name=national.name)


def feed_manifest(session: Session, actor: Actor, audience: str, national: Organization) -> tuple[dict, str]:
    """(``manifest.json``, ``hashes.csv``) of an audience's MISP feed."""
    from ingest.misp import mapping as misp

    audit.record(session, actor, "feed.export", "misp_feed", audience, file="manifest")
    return misp.feed_files(_events(session, actor, audience, national))


def feed_event(session: Session, actor: Actor, audience: str, national: Organization, event_uuid: str) -> dict:
    """One ``<uuid>.json`` of an audience's MISP feed; 404 when the feed has no such event."""
    from ingest.misp import mapping as misp

    for kind in ("incident", "report"):
        events = _events(session, actor, audience, national, only=f"{kind}--{event_uuid.lower()}")
        if events:
            audit.record(session, actor, "feed.export", "misp_feed", audience, event=event_uuid.lower())
            return misp.feed_event(events[0])
    raise NotFound(N_("no event %(event)s in the %(audience)s feed"), event=event_uuid, audience=audience)


# -- registering sources -----------------------------------------------------------------


def sources(session: Session) -> list[FeedSource]:
    return list(session.scalars(select(FeedSource).order_by(FeedSource.name)))


def source(session: Session, name: str) -> FeedSource:
    found = session.scalar(select(FeedSource).where(FeedSource.name == name))
    if found is None:
        raise NotFound(N_("no feed '%(name)s'"), name=name)
    return found


def add_source(session: Session, actor: Actor, *, name: str, kind: str, url: str, org: str,
               collection_id: str | None = None, api_key: str | None = None, username: str | None = None,
               password: str | None = None, interval_minutes: int = 60, enabled: bool = True) -> FeedSource:
    """Register a feed to pull (admins only). The data enters as ``org``, its submitter."""
    directory.require_admin(actor)
    name, url = name.strip(), url.strip()
    if kind not in KINDS:
        raise Invalid(N_("kind must be one of %(kinds)s"), kinds=", ".join(KINDS))
    if not name or not url.startswith(("http://", "https://")):
        raise Invalid(N_("a feed needs a name and an http(s) URL"))
    if kind == "taxii" and not collection_id:
        raise Invalid(N_("a TAXII feed needs the collection id"))
    if interval_minutes < 1:
        raise Invalid(N_("the interval is at least one minute"))
    if session.scalar(select(FeedSource.id).where(FeedSource.name == name)) is not None:
        raise Conflict(N_("a feed named '%(name)s' exists"), name=name)
    submitter = directory.org_by_slug(session, org)
    sealer = sealer_of(session)
    feed = FeedSource(name=name, kind=kind, url=url, collection_id=collection_id or None,
                      api_key=sealer.seal(api_key), username=username or None, password=sealer.seal(password),
                      org_id=submitter.id,
                      interval_minutes=interval_minutes, enabled=enabled, last_counts={}, seen={})
    session.add(feed)
    session.flush()
    audit.record(session, actor, "feeds.add", "feed_source", name, kind=kind, url=url, org=submitter.slug)
    return feed


# -- pulling --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retry:
    """Bounded exponential back-off for connection errors and 5xx answers:
    ``attempts`` tries, waiting ``base_s * 2**n`` (at most ``max_s``) between them."""

    attempts: int = 4
    base_s: float = 2.0
    max_s: float = 60.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int) -> float:
        return min(self.max_s, self.base_s * 2 ** attempt)


DEFAULT_RETRY = Retry()


class FeedUnavailable(Exception):
    """The feed could not be reached (after retries), or answered with an error."""


@dataclass
class PullResult:
    feed: str
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, message: str) -> None:
        self.counts["failed"] += 1
        self.errors.append(message)

    def summary(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "nothing new"
        return f"{self.feed}: {counts}" + ("" if self.ok else f"; {len(self.errors)} error(s)")


def _with_retries(retry: Retry, call: Callable[[], Any]) -> Any:
    import requests

    for attempt in range(retry.attempts):
        try:
            return call()
        except (requests.ConnectionError, requests.Timeout) as exc:
            problem = f"cannot reach the feed: {type(exc).__name__}"
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status < 500:
                raise FeedUnavailable(f"the feed answered HTTP {status}") from None
            problem = f"the feed answered HTTP {status}"
        if attempt + 1 < retry.attempts:
            retry.sleep(retry.delay(attempt))
    raise FeedUnavailable(f"{problem} (after {retry.attempts} attempts)")


def _feed_actor(feed: FeedSource) -> Actor:
    """The feed's organisation as the submitter: pulled data enters as if it had sent it."""
    org = feed.org
    return Actor(role=Role.SECTOR_ANALYST, org_id=org.id, org_kind=org.kind, sector_id=org.sector_id,
                 interface="feed", label=f"feed {feed.name} ({org.slug})")


def pull(sessions: sessionmaker[Session], system: Actor, name: str, *, retry: Retry | None = None) -> PullResult:
    """Pull one feed now; record the outcome on the source. Never raises for what the feed serves."""
    import requests

    retry = retry or DEFAULT_RETRY
    with sessions() as session:
        feed = source(session, name)
        result = PullResult(feed.name)
        http = requests.Session()
        try:
            secret = _credentials(session, feed)
            if secret.username or secret.password:
                http.auth = (secret.username or "", secret.password or "")
            if feed.kind == "misp":
                _pull_misp(session, feed, secret, http, retry, result)
            else:
                _pull_taxii(session, feed, secret, http, retry, result)
        except (FeedUnavailable, SealError) as exc:
            session.rollback()
            result.errors.append(str(exc))
        finally:
            http.close()
        _record(session, system, feed, result)
        session.commit()
    return result


def _record(session: Session, system: Actor, feed: FeedSource, result: PullResult) -> None:
    now = utcnow()
    feed.last_counts = dict(result.counts)
    if result.ok:
        feed.last_success_at = now
    else:
        shown = result.errors[:MAX_REPORTED_ERRORS]
        more = len(result.errors) - len(shown)
        feed.last_error = "; ".join(shown) + (f"; and {more} more" if more else "")
        feed.last_error_at = now
    audit.record(session, system, "feeds.pull", "feed_source", feed.name, ok=result.ok, **feed.last_counts)


@dataclass(frozen=True)
class _Credentials:
    """What the feed is shown, unsealed only for the pull."""

    api_key: str | None
    username: str | None
    password: str | None


def _credentials(session: Session, feed: FeedSource) -> _Credentials:
    sealer = sealer_of(session)
    return _Credentials(sealer.unseal(feed.api_key), feed.username, sealer.unseal(feed.password))


def seal_stored_credentials(session: Session) -> int:
    """Seal credentials stored in plain text before they were sealed (``ncert init``); returns how many feeds."""
    sealer, sealed = sealer_of(session), 0
    for feed in session.scalars(select(FeedSource)):
        plain = [(name, value) for name in ("api_key", "password")
                 if (value := getattr(feed, name)) and not is_sealed(value)]
        for name, value in plain:
            setattr(feed, name, sealer.seal(value))
        sealed += bool(plain)
    return sealed


def _misp_headers(secret: _Credentials) -> dict[str, str]:
    # MISP sends a feed's configured headers; a bare key in Authorization is MISP's own scheme.
    return {"Authorization": secret.api_key, "Accept": "application/json"} if secret.api_key else {}


@dataclass(frozen=True)
class _Limits:
    """The JSON limits (ncert.bodies) the runtime gives its sessions: bulk intake's size, the one depth."""

    max_bytes: int
    max_depth: int

    @classmethod
    def of(cls, session: Session) -> "_Limits":
        return cls(session.info.get("max_intake_bytes", 100 * 1024 * 1024),
                   session.info.get("max_json_depth", MAX_JSON_DEPTH))

    def check_size(self, response: requests.Response) -> None:
        """Refuse a response past the size limit before its body is held: by its length, else while reading it."""
        from ncert import bodies

        if int(response.headers.get("Content-Length") or 0) > self.max_bytes:
            raise bodies.TooLarge(f"{response.url} is larger than {self.max_bytes:,} bytes")
        response._content = bodies.read_capped(response.iter_content(bodies.CHUNK), self.max_bytes, response.url)


def _get_json(http: requests.Session, url: str, headers: dict, retry: Retry, limits: _Limits) -> Any:
    from ncert import bodies

    def call():
        with http.get(url, headers=headers, timeout=HTTP_TIMEOUT_S, stream=True) as response:
            response.raise_for_status()
            return bodies.read_capped(response.iter_content(bodies.CHUNK), limits.max_bytes, url)
    return bodies.loads(_with_retries(retry, call), max_depth=limits.max_depth, what=url)


def _pull_misp(session: Session, feed: FeedSource, secret: _Credentials, http: requests.Session, retry: Retry,
               result: PullResult) -> None:
    from ingest.misp import mapping as misp

    base = feed.url.rstrip("/") + "/"
    headers, limits = _misp_headers(secret), _Limits.of(session)
    try:
        manifest = _get_json(http, base + "manifest.json", headers, retry, limits)
    except NcertError as exc:
        raise FeedUnavailable(f"manifest.json is not JSON within the limits: {exc.detail}") from None
    if not isinstance(manifest, dict):
        raise FeedUnavailable("manifest.json is not a MISP feed manifest (an object of events by UUID)")
    actor = _feed_actor(feed)
    seen = dict(feed.seen or {})
    for event_uuid, meta in manifest.items():
        try:
            stamp = int(meta["timestamp"])
        except (TypeError, KeyError, ValueError):
            result.fail(f"manifest entry {event_uuid!r} has no timestamp")
            continue
        if seen.get(event_uuid, -1) >= stamp:
            continue
        try:
            result.counts["fetched"] += 1
            outcome = _take_event(session, actor, _get_json(http, f"{base}{event_uuid}.json", headers, retry,
                                                            limits))
        except FeedUnavailable as exc:
            result.fail(f"{event_uuid}: {exc}")
            continue
        except (misp.MispEventError, ValueError, NcertError) as exc:
            session.rollback()
            result.fail(f"{event_uuid}: {getattr(exc, 'detail', None) or str(exc).splitlines()[0]}")
            continue
        result.counts[outcome] += 1
        seen[event_uuid] = stamp
        feed.seen = dict(seen)
        session.commit()  # this event and the cursor past it, together


def _take_event(session: Session, actor: Actor, data: Any) -> str:
    from ingest.misp import mapping as misp
    from ncert.services import incidents

    event = misp.load_event(data)
    record = misp.event_record(event)
    if misp.is_deleted(event):  # honoured as a soft delete: noted on the incident, which stays
        incidents.withdraw(session, actor, record, source=N_("MISP feed"))  # the timeline translates it
        return "deleted"
    submission = incidents.submit(session, actor, record, channel="misp-feed")
    if submission.created:
        return "created"
    return "updated" if incidents.refresh_from_source(session, actor, submission.incident, record) else "unchanged"


def _pull_taxii(session: Session, feed: FeedSource, secret: _Credentials, http: requests.Session, retry: Retry,
                result: PullResult) -> None:
    import requests
    from taxii2client.common import TokenAuth, _HTTPConnection
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import Collection, as_pages

    from ncert.services import stix_intake, taxii

    actor = _feed_actor(feed)
    sector = feed.org.sector
    if sector is None:
        raise FeedUnavailable(f"{feed.org.slug} has no sector inbox to take TAXII objects into")
    inbox, _ = taxii.collection(session, actor, f"inbox-{sector.slug}")
    conn = _HTTPConnection(user=secret.username, password=secret.password, version="2.1",
                           auth=TokenAuth(secret.api_key) if secret.api_key else None)
    last_added: list[str] = []
    limits = _Limits.of(session)
    conn.session.hooks["response"].append(lambda response, *a, **k: limits.check_size(response))
    conn.session.hooks["response"].append(
        lambda response, *a, **k: last_added.append(response.headers.get("X-TAXII-Date-Added-Last", "")))
    url = f"{feed.url.rstrip('/')}/collections/{feed.collection_id}/"
    filters = {"added_after": feed.added_after} if feed.added_after else {}
    try:
        pages = _with_retries(retry, lambda: _first(as_pages(Collection(url, conn=conn).get_objects,
                                                             per_request=TAXII_PAGE, **filters)))
        for envelope in pages:
            objects = envelope.get("objects") or [] if isinstance(envelope, dict) else []
            for intake in taxii.store(session, actor, inbox, objects, on_stored=stix_intake.apply,
                                      max_depth=limits.max_depth):
                pass
            if objects:
                result.counts.update(created=intake.created, updated=intake.updated, unchanged=intake.unchanged)
                for reason, n in intake.reasons.items():
                    result.counts["failed"] += n
                    result.errors.append(f"{n} object(s) rejected: {reason}")
            if last_added and last_added[-1]:
                feed.added_after = last_added[-1]
            session.commit()  # this page and the cursor past it, together
    except requests.RequestException as exc:
        session.rollback()
        result.errors.append(f"the TAXII collection failed mid-way: {type(exc).__name__}")
    except (TAXIIServiceException, ValueError, NcertError, RecursionError) as exc:
        # RecursionError: taxii2client parses with the json module, which recurses per nesting level.
        session.rollback()
        result.errors.append(f"the TAXII collection served something unusable: {getattr(exc, 'detail', exc)}")
    finally:
        conn.close()


def _first(pages: Iterator) -> Iterator:
    """Fetch the first page now (so retries cover it), then go on lazily."""
    first = next(pages)

    def chain():
        yield first
        yield from pages
    return chain()


PULL_TOPIC = "feeds.pull"


def queue_pull(session: Session, actor: Actor, name: str) -> None:
    """Pull one feed soon, outside the caller's request: an outbox row delivered after commit (``pull_queued``)."""
    source(session, name)  # NotFound for an unknown feed
    who = {"role": actor.role.value, "org_id": actor.org_id, "org_kind": actor.org_kind.value,
           "sector_id": actor.sector_id, "interface": actor.interface, "label": actor.label,
           "user_id": actor.user_id, "api_key_id": actor.api_key_id}
    outbox.enqueue(session, PULL_TOPIC, {"feed": name, "actor": who}, key=f"feed:{name}")


@outbox.handler(PULL_TOPIC)
def pull_queued(runtime: Runtime, message: outbox.Message) -> None:
    """A pull someone asked for, recorded (the feed's outcome, the audit) as theirs."""
    who = message.payload["actor"]
    actor = Actor(**{**who, "role": Role(who["role"]), "org_kind": OrgKind(who["org_kind"])})
    pull(runtime.sessions, actor, message.payload["feed"])


def pull_due(sessions: sessionmaker[Session], national_org: str, name: str, retry: Retry | None = None) -> PullResult:
    """A scheduled pull: as the system actor, of a feed still enabled."""
    with sessions() as session:
        system = directory.system_actor(session, national_org, "scheduler")
        enabled = session.scalar(select(FeedSource.enabled).where(FeedSource.name == name))
    if not enabled:
        return PullResult(name)
    return pull(sessions, system, name, retry=retry)

