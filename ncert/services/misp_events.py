"""MISP events: an ncert incident seen through MISP's data model.

What the MISP-compatible API (``ncert.misp``) calls. A pushed event goes the one
intake path every adapter shares: ``ingest.misp.event_record`` →
``incidents.submit`` (channel "misp"), so it lands in the triage queue; its
attributes are kept as MISP sent them, and those flagged ``to_ids`` are linked
to their ncert indicators. Every later change re-reads the stored event
through ``event_record`` into ``incidents.refresh_from_source``, which takes
new indicators and a stricter TLP and never a looser one.

Invalid attributes and objects are dropped and listed, attachments kept opaque
(``ingest.misp.screening``). Who sees an event is who sees its incident, and an
attribute stricter than its event (its distribution) only its organisation and
national staff: every read joins the incident and goes through
``ncert.access.scope``. Event UUIDs, attribute UUIDs and tags are per
organisation, so none of them tells one organisation what another sent; the
leadership role writes nothing here. Field meanings follow the MISP core format
(https://www.misp-project.org/datamodels/) and PyMISP ``api.py``/``mispevent.py``.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid as uuidlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from pydantic import ValidationError
from pymisp import MISPAttribute, MISPEvent
from sqlalchemy import and_, case, exists, insert, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ingest.misp import (
    MispEventError,
    event_record,
    event_version,
    indicator_pairs,
    is_deleted,
    load_event,
    tlp_tag,
)
from ingest.misp.distribution import distribution_of, narrower
from ingest.misp.mapping import DISTRIBUTION_FOR_TLP
from ingest.misp.screening import ATTACHMENT_TYPES, Dropped, Screened, screen_attribute, screen_event
from ingest.misp.tags import TLP_COLOURS, TLP_FOR_TAG
from ncert.access import scope
from ncert.actor import Actor
from ncert.db import bulk_insert
from ncert.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound
from ncert.i18n import N_
from ncert.models import Incident, MispAttribute, MispEvent, MispTag, Organization, Sighting
from ncert.models.misp import VALUE_KEY
from ncert.services import audit, incidents, indicators
from ncert.taxonomy import Role
from ncert.timeline_text import message

CHANNEL = "misp"
NO_PERMISSION = "You do not have permission to do that."  # MISP's text; PyMISP matches it (api.py add_attribute)
# MISP's answer to a second events/add of an event UUID (EventsController::add: a NotFoundException,
# 404, with the existing event's URL in Location); MISP clients match on the text.
EVENT_EXISTS = "Event already exists, if you would like to edit it, use the url in the location header."


class EventExists(NotFound):
    """The caller's organisation already sent an event with this UUID; ``location`` is its URL."""

    def __init__(self, event_id: int):
        super().__init__(EVENT_EXISTS)
        self.location = f"/misp/events/{event_id}"


def now_epoch() -> int:
    return int(time.time())


def org_uuid(org: Organization) -> str:
    """A stable MISP organisation UUID for an ncert organisation."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, f"{org.slug}.org.ncert"))


# -- finding ----------------------------------------------------------------------------


def _visible_events(actor: Actor, *, deleted: bool = False):
    stmt = select(MispEvent).join(Incident, Incident.id == MispEvent.incident_id)
    if not deleted:
        stmt = stmt.where(MispEvent.deleted.is_(False))
    return scope(actor, stmt)


MAX_ID = 2**31 - 1  # event ids are 32-bit integers on every backend


def _id(text: str, maximum: int = MAX_ID) -> int:
    """A database id from text; ValueError for anything that cannot be one."""
    number = int(text)
    if not 0 < number <= maximum:
        raise ValueError(f"{text} is not an id")
    return number


def _ident_clause(ident: str | int):
    text = str(ident).strip()
    if text.isdigit():
        try:
            return MispEvent.id == _id(text)
        except ValueError:
            raise NotFound("Invalid event.") from None
    try:
        return MispEvent.uuid == str(uuidlib.UUID(text))
    except ValueError:
        raise NotFound(f"Invalid event: {text!r} is neither an event id nor a UUID") from None


def _own_first(actor: Actor) -> list:
    """Ordering for a UUID several organisations used: the actor's own event first, then the oldest."""
    return [case((MispEvent.org_id == actor.org_id, 0), else_=1), MispEvent.id]


def get_event(session: Session, actor: Actor, ident: str | int, *, deleted: bool = False) -> MispEvent:
    """The event by id or UUID if the actor may see it; 404 otherwise (never 403, which would confirm it).
    A UUID names the actor's own event first (a UUID is unique per organisation)."""
    event = session.scalar(_visible_events(actor, deleted=deleted).where(_ident_clause(ident))
                           .order_by(*_own_first(actor)).limit(1))
    if event is None:
        raise NotFound("Invalid event.")
    return event


def event_exists(session: Session, actor: Actor, ident: str | int) -> bool:
    try:
        get_event(session, actor, ident)
    except NotFound:
        return False
    return True


def _writable(session: Session, actor: Actor, ident: str | int) -> MispEvent:
    event = get_event(session, actor, ident)
    _require_write(actor, event)
    return event


def _require_writer(actor: Actor) -> None:
    """Leadership writes nothing through this door: no events, attributes, tags or sightings."""
    if actor.role is Role.LEADERSHIP:
        raise Forbidden(NO_PERMISSION)


def _require_write(actor: Actor, event: MispEvent) -> None:
    """The submitting organisation edits its events; SOC operators and admins edit any."""
    _require_writer(actor)
    if actor.can_triage or actor.org_id == event.org_id:
        return
    raise Forbidden(NO_PERMISSION)


_RENDERED = [MispAttribute.id, MispAttribute.uuid, MispAttribute.object_uuid, MispAttribute.object_name,
             MispAttribute.object_relation, MispAttribute.type, MispAttribute.category, MispAttribute.value,
             MispAttribute.to_ids, MispAttribute.comment, MispAttribute.timestamp, MispAttribute.deleted,
             MispAttribute.tags, MispAttribute.distribution]


def _scoped_attributes(actor: Actor, stmt):
    """``stmt`` over MispAttribute joined to its event and incident, narrowed to the actor's view."""
    stmt = stmt.join(MispEvent, MispEvent.id == MispAttribute.event_id).join(
        Incident, Incident.id == MispEvent.incident_id)
    return scope(actor, scope(actor, stmt), MispAttribute)


def attributes_of(session: Session, event: MispEvent, viewer: Actor | None = None, *,
                  deleted: bool = False) -> list:
    """The event's attributes as rows of the rendered columns (no ORM objects: events can be large);
    those ``viewer`` may see, or all of them when no viewer is given (the intake's own reads)."""
    stmt = select(*_RENDERED).where(MispAttribute.event_id == event.id).order_by(MispAttribute.id)
    if viewer is not None:
        stmt = _scoped_attributes(viewer, stmt)
    if not deleted:
        stmt = stmt.where(MispAttribute.deleted.is_(False))
    return list(session.execute(stmt))


def _attachments(session: Session, ids: list[int]) -> dict[int, bytes]:
    """Stored attachment bytes by attribute id."""
    found: dict[int, bytes] = {}
    for i in range(0, len(ids), 500):
        found.update(session.execute(select(MispAttribute.id, MispAttribute.data).where(
            MispAttribute.id.in_(ids[i:i + 500]), MispAttribute.data.is_not(None))).all())
    return found


# -- writing ----------------------------------------------------------------------------


def _load(body: Any) -> MISPEvent:
    try:
        return load_event(body)
    except MispEventError as exc:
        raise Invalid(str(exc)) from None


def _screen(body: Any, attachment_max_bytes: int) -> Screened:
    """The pushed event with its valid parts, its attachments and what was dropped; 422 if the event itself
    is invalid."""
    try:
        return screen_event(body, attachment_max_bytes=attachment_max_bytes)
    except MispEventError as exc:
        raise Invalid(str(exc)) from None


def _uuid(value: Any) -> str:
    """A canonical UUID, a new one when none is given; 422 for anything else."""
    if not value:
        return str(uuidlib.uuid4())
    try:
        return str(uuidlib.UUID(str(value)))
    except ValueError:
        raise Invalid(f"{value!r} is not a UUID") from None


def _record(event: MISPEvent):
    try:
        return event_record(event)
    except (ValidationError, ValueError) as exc:
        raise Invalid(f"the event cannot be taken as an incident: {exc}") from None


def _tag_names(tags) -> list[str]:
    names = []
    for tag in tags or []:
        name = (tag if isinstance(tag, str) else getattr(tag, "name", None) or "").strip()
        if name and name not in names:
            names.append(name[:255])
    return names


def _int(value: Any, default: int, allowed: range) -> int:
    try:
        number = int(value) if value is not None else default
    except (TypeError, ValueError):
        raise Invalid(f"{value!r} is not a number") from None
    if number not in allowed:
        raise Invalid(f"{number} is out of range {allowed.start}-{allowed.stop - 1}")
    return number


@dataclass(frozen=True)
class Saved:
    """An event as stored, and the parts of what was sent that were not (with their reasons)."""

    event: MispEvent
    dropped: list[Dropped]


def add_event(session: Session, actor: Actor, body: Any, *, attachment_max_bytes: int) -> Saved:
    """Take a pushed event (PyMISP ``add_event``'s body) into the national queue.

    The submitter is the authenticated organisation, whatever ``Orgc`` says. An event UUID
    names an event within its organisation: the caller's own UUID again is MISP's 404
    ``EventExists``, and a UUID another organisation used is stored as the caller's own
    event, so no answer tells whether someone else used it. Invalid attributes and objects
    are dropped and listed, as MISP saves the valid rest (``ingest.misp.screening``).
    An event without a timestamp is stamped with the time of receipt, as MISP does.
    """
    _require_writer(actor)
    screened = _screen(body, attachment_max_bytes)
    misp = screened.event
    uid = _uuid(misp.get("uuid"))
    _refuse_own_duplicate(session, actor, uid)
    misp.uuid = uid
    record = _record(misp)
    submission = incidents.submit(session, actor, record, channel=CHANNEL)
    stamp = event_version(misp) or now_epoch()
    event = MispEvent(uuid=uid, org_id=actor.org_id, incident_id=submission.incident.id, timestamp=stamp,
                      tags=_tag_names(misp.tags), deleted=False)
    _take_fields(event, misp)
    if distribution_of(misp.get("distribution")) is None:  # none sent: show the audience the label gives
        event.distribution = DISTRIBUTION_FOR_TLP[submission.incident.tlp]
    event.published = bool(misp.get("published"))
    event.publish_timestamp = stamp if event.published else 0
    session.add(event)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same organisation pushed the same UUID at the same moment
        _refuse_own_duplicate(session, actor, uid)
        raise
    pushed = list(_pushed_attributes(misp, screened.attachments))
    _ensure_tags(session, event.org_id, _all_tags(event.tags, pushed))
    _insert_attributes(session, event, pushed, stamp)
    return Saved(event, screened.dropped)


def _refuse_own_duplicate(session: Session, actor: Actor, uid: str) -> None:
    own = session.scalar(select(MispEvent.id).where(MispEvent.org_id == actor.org_id, MispEvent.uuid == uid))
    if own is not None:
        raise EventExists(own)


def _all_tags(event_tags: list[str], pushed: list[_Pushed]) -> list[str]:
    return list(dict.fromkeys([*event_tags, *(t for p in pushed for t in _tag_names(p.attribute.tags))]))


def _take_fields(event: MispEvent, misp: MISPEvent) -> None:
    event.info = str(misp.info)
    event.date = misp.get("date") if isinstance(misp.get("date"), date) else datetime.now(timezone.utc).date()
    event.threat_level_id = _int(misp.get("threat_level_id"), 4, range(1, 5))
    event.analysis = _int(misp.get("analysis"), 0, range(0, 3))
    event.distribution = _int(misp.get("distribution"), event.distribution or 0, range(0, 5))


@dataclass(frozen=True)
class _Pushed:
    attribute: MISPAttribute
    object_uuid: str | None = None
    object_name: str | None = None
    distribution: int = 5  # the attribute's, or its object's when that is stricter
    data: bytes | None = None  # an attachment, as sent


def _pushed_attributes(misp: MISPEvent, attachments: dict[str, bytes] | None = None) -> Iterator[_Pushed]:
    attachments = attachments or {}

    def pushed(a: MISPAttribute, obj=None) -> _Pushed:
        return _Pushed(a, _uuid(obj.get("uuid")) if obj else None, str(obj.name) if obj else None,
                       narrower(a.get("distribution"), obj.get("distribution") if obj else None),
                       attachments.get(str(a.get("uuid"))))
    yield from (pushed(a) for a in misp.attributes)
    for obj in misp.objects:
        yield from (pushed(a, obj) for a in obj.attributes)


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, (int, str)) and str(value).strip().lower() in ("1", "true"))


def _stamp(value: Any, default: int) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    try:
        return min(max(int(value), 0), MAX_EPOCH)
    except (TypeError, ValueError):
        return default


_ATTRIBUTE_COLUMNS = ("uuid", "event_id", "object_uuid", "object_name", "object_relation", "type", "category",
                      "value", "value_key", "to_ids", "comment", "timestamp", "deleted", "tags", "indicator_id",
                      "distribution", "data")


def _own_attributes(session: Session, event: MispEvent, uuids: list[str]):
    """Attributes with these UUIDs in the events of ``event``'s organisation: an attribute UUID is
    unique per organisation, so another organisation's use of one is never a conflict (nor an oracle)."""
    found = []
    for i in range(0, len(uuids), 500):
        found += session.scalars(select(MispAttribute).join(MispEvent, MispEvent.id == MispAttribute.event_id).where(
            MispEvent.org_id == event.org_id, MispAttribute.uuid.in_(uuids[i:i + 500])))
    return found


def _insert_attributes(session: Session, event: MispEvent, pushed, stamp: int) -> list[str]:
    """Store attributes (skipping UUIDs the organisation already stored), linking to_ids ones to their
    indicators; returns the UUIDs stored. Written through the driver's executemany: a 50,000-attribute
    event is the size MISP users push."""
    rows, seen = [], set()
    for p in pushed:
        a = p.attribute
        uid = _uuid(a.get("uuid"))
        if uid in seen:
            continue
        seen.add(uid)
        value = str(a.value)
        rows.append({
            "uuid": uid, "event_id": event.id, "object_uuid": p.object_uuid, "object_name": p.object_name,
            "object_relation": a.get("object_relation"), "type": a.type, "category": a.get("category") or "Other",
            "value": value, "value_key": value[:VALUE_KEY], "to_ids": bool(a.get("to_ids")),
            "comment": str(a.get("comment") or ""), "timestamp": _stamp(a.get("timestamp"), stamp),
            "deleted": _flag(a.get("deleted")), "tags": json.dumps(_tag_names(a.tags)), "indicator_id": None,
            "distribution": p.distribution, "data": p.data,
        })
    if not rows:
        return []
    taken = {a.uuid for a in _own_attributes(session, event, [r["uuid"] for r in rows])}
    rows = [r for r in rows if r["uuid"] not in taken]
    wanted = {r["uuid"]: pairs[0] for r in rows
              if r["to_ids"] and (pairs := indicator_pairs(r["type"], r["value"]))}
    ids = _indicator_ids(session, event) if wanted else {}
    for r in rows:
        r["indicator_id"] = ids.get(wanted.get(r["uuid"]))
    try:
        bulk_insert(session, MispAttribute.__table__, _ATTRIBUTE_COLUMNS,
                    [tuple(r[c] for c in _ATTRIBUTE_COLUMNS) for r in rows])
    except IntegrityError:  # a concurrent request stored one of these UUIDs first
        raise Conflict("an attribute with one of these UUIDs is being stored concurrently; retry") from None
    return [r["uuid"] for r in rows]


def _indicator_ids(session: Session, event: MispEvent) -> dict[tuple[str, str], int]:
    """(type, value) → id of the indicators linked to the event's incident: the ones its to_ids
    attributes became (an incident takes at most IncidentRecord's limit of them)."""
    return {(i.type, i.value): i.id for i in indicators.of_incident(session, event.incident_id)}


def _misp_of(session: Session, event: MispEvent) -> MISPEvent:
    """The stored event as a MISPEvent, raw tags included: what ``event_record`` reads."""
    return _load(render(session, event, raw_tags=True))


def _sync(session: Session, actor: Actor, event: MispEvent) -> None:
    """Carry the stored event over to its incident (new indicators, stricter TLP), then link indicators."""
    incident = session.get(Incident, event.incident_id)
    incidents.refresh_from_source(session, actor, incident, _record(_misp_of(session, event)))
    unlinked = list(session.scalars(select(MispAttribute).where(
        MispAttribute.event_id == event.id, MispAttribute.to_ids.is_(True), MispAttribute.indicator_id.is_(None))))
    wanted = {a.id: pairs[0] for a in unlinked if (pairs := indicator_pairs(a.type, a.value))}
    ids = _indicator_ids(session, event) if wanted else {}
    for a in unlinked:
        a.indicator_id = ids.get(wanted.get(a.id))


def _touch(event: MispEvent) -> None:
    """A change: the event's timestamp moves forward, past any it had."""
    event.timestamp = max(now_epoch(), event.timestamp + 1)


def update_event(session: Session, actor: Actor, ident: str | int, body: Any, *, attachment_max_bytes: int) -> Saved:
    """A newer version of the event. An older or equal ``timestamp`` changes nothing, as on MISP;
    an edited event without one (PyMISP drops it from edited events) is newer by definition.
    Attributes with new UUIDs are added; attributes already stored are updated in place;
    invalid ones are dropped and listed, as in ``add_event``; ``deleted`` set on the event
    soft-deletes it."""
    event = _writable(session, actor, ident)
    screened = _screen(body, attachment_max_bytes)
    misp = screened.event
    sent = body.get("Event", body) if isinstance(body, dict) else {}  # what was sent: PyMISP invents a missing uuid
    if isinstance(sent, dict) and sent.get("uuid") and _uuid(sent["uuid"]) != event.uuid:
        raise Invalid("the event's uuid does not match the event edited")
    version = event_version(misp)
    if version is not None and version <= event.timestamp:
        return Saved(event, screened.dropped)
    _take_fields(event, misp)
    event.tags = _tag_names(misp.tags)
    stamp = version or max(now_epoch(), event.timestamp + 1)
    event.timestamp = stamp
    if misp.get("published") is not None and not _flag(misp.get("published")):
        event.published = False
    pushed = list(_pushed_attributes(misp, screened.attachments))
    _ensure_tags(session, event.org_id, _all_tags(event.tags, pushed))
    stored = {a.uuid: a for a in _own_attributes(session, event, [p.attribute.uuid for p in pushed])}
    for p in pushed:
        old = stored.get(p.attribute.uuid)
        if old is None:
            continue
        if old.event_id != event.id:
            raise Invalid(f"attribute {old.uuid} belongs to another event")
        a = p.attribute
        new_stamp = _stamp(a.get("timestamp"), stamp) if a.get("timestamp") else stamp
        if new_stamp > old.timestamp:
            old.value, old.value_key = str(a.value), str(a.value)[:VALUE_KEY]
            old.type, old.category = a.type, a.get("category") or old.category
            old.to_ids, old.comment = bool(a.get("to_ids")), str(a.get("comment") or "")
            old.deleted, old.tags, old.timestamp = _flag(a.get("deleted")), _tag_names(a.tags), new_stamp
            old.distribution, old.indicator_id = p.distribution, None
            if p.data is not None:
                old.data = p.data
    _insert_attributes(session, event, [p for p in pushed if p.attribute.uuid not in stored], stamp)
    session.flush()
    _sync(session, actor, event)
    if is_deleted(misp):
        delete_event(session, actor, event.id)
    return Saved(event, screened.dropped)


def delete_event(session: Session, actor: Actor, ident: str | int) -> MispEvent:
    """Soft delete: the event leaves every read; its incident stays in the queue, noted."""
    event = _writable(session, actor, ident)
    event.deleted = True
    _touch(event)
    incidents.note(session, actor, session.get(Incident, event.incident_id), "misp-delete",
                   message(N_("MISP event %(uuid)s deleted by its sender"), uuid=event.uuid),
                   action="misp.event-delete", uuid=event.uuid)
    return event


def publish(session: Session, actor: Actor, ident: str | int) -> MispEvent:
    event = _writable(session, actor, ident)
    event.published = True
    event.publish_timestamp = now_epoch()
    incidents.note(session, actor, session.get(Incident, event.incident_id), "misp-publish",
                   message(N_("MISP event %(uuid)s published"), uuid=event.uuid),
                   action="misp.event-publish", uuid=event.uuid)
    return event


def add_attributes(session: Session, actor: Actor, ident: str | int, bodies: list[Any], *,
                   attachment_max_bytes: int) -> list[MispAttribute]:
    """``attributes/add``: one attribute or a list; each needs ``type`` and ``value``; any invalid one
    refuses the request. A UUID is "already" taken only among the organisation's own attributes."""
    event = _writable(session, actor, ident)
    if not bodies:
        raise Invalid("no attribute given")
    pushed = []
    for body in bodies:
        if not isinstance(body, dict):
            raise Invalid("an attribute must be a JSON object")
        try:
            attribute, data = screen_attribute(body, attachment_max_bytes=attachment_max_bytes)
        except MispEventError as exc:
            raise Invalid(str(exc)) from None
        pushed.append(_Pushed(attribute, distribution=narrower(attribute.get("distribution")), data=data))
    taken = _own_attributes(session, event, [str(p.attribute.uuid) for p in pushed])
    if taken:
        raise Invalid(f"attribute {taken[0].uuid} already exists")
    _touch(event)
    added = _insert_attributes(session, event, pushed, event.timestamp)
    session.flush()
    _sync(session, actor, event)
    return list(session.scalars(select(MispAttribute).where(
        MispAttribute.event_id == event.id, MispAttribute.uuid.in_(added)).order_by(MispAttribute.id)))


# -- sightings ----------------------------------------------------------------------------


def add_sighting(session: Session, actor: Actor, body: Any, attribute_ident: str | None = None) -> dict:
    """``sightings/add``: a sighting (``type`` "0") of an attribute by id/UUID, or of every visible
    attribute with ``value``, becomes an ncert Sighting of its indicator for the actor's organisation.
    False positives ("1") and expirations ("2") are acknowledged and not counted. Audited."""
    _require_writer(actor)
    if not isinstance(body, dict):
        raise Invalid("a sighting must be a JSON object")
    kind = str(body.get("type", "0"))
    if kind not in ("0", "1", "2"):
        raise Invalid("sighting type must be 0 (sighting), 1 (false positive) or 2 (expiration)")
    ident = attribute_ident or body.get("id") or body.get("uuid")
    stmt = _scoped_attributes(actor, select(MispAttribute, MispEvent)).where(
        MispAttribute.deleted.is_(False), MispEvent.deleted.is_(False)).order_by(MispAttribute.id)
    if ident:
        text = str(ident).strip()
        try:
            stmt = stmt.where(MispAttribute.id == _id(text, 2**63 - 1) if text.isdigit()
                              else MispAttribute.uuid == _uuid(text))
        except ValueError:
            raise NotFound("No valid attributes found.") from None
    elif body.get("value"):
        value = str(body["value"])
        stmt = stmt.where(MispAttribute.value_key == value[:VALUE_KEY], MispAttribute.value == value)
    else:
        raise Invalid("give the attribute id or uuid, or a value")
    found = session.execute(stmt).all()
    if not found:
        raise NotFound("No valid attributes found.")
    seen_at = datetime.now(timezone.utc)
    if body.get("timestamp") not in (None, ""):
        try:
            seen_at = datetime.fromtimestamp(int(float(body["timestamp"])), timezone.utc)
        except (TypeError, ValueError, OverflowError, OSError):
            raise Invalid("timestamp must be epoch seconds") from None
    if kind == "0":
        rows = [{"indicator_id": a.indicator_id, "org_id": actor.org_id, "incident_id": e.incident_id,
                 "seen_at": seen_at, "count": 1} for a, e in found if a.indicator_id is not None]
        if rows:
            session.execute(insert(Sighting), rows)
    attribute, event = found[0]
    audit.record(session, actor, "misp.sighting-add", "misp_attribute", attribute.id, type=kind,
                 attributes=[a.id for a, _ in found], counted=kind == "0",
                 seen_at=int(seen_at.timestamp()), source=str(body.get("source") or "")[:255])
    return {"id": "0", "attribute_id": str(attribute.id), "event_id": str(event.id), "org_id": str(actor.org_id),
            "date_sighting": str(int(seen_at.timestamp())), "uuid": str(uuidlib.uuid4()),
            "source": str(body.get("source") or ""), "type": kind}


# -- tags -----------------------------------------------------------------------------------

def _ensure_tags(session: Session, org_id: int, names: list[str], colour: str | None = None) -> list[MispTag]:
    """The organisation's tags of these names, made when new. Tags are per organisation: a name
    another organisation uses is never answered with that organisation's tag (its id or colour)."""
    found = {t.name: t for t in session.scalars(select(MispTag).where(
        MispTag.org_id == org_id, MispTag.name.in_(names)))} if names else {}
    for name in names:
        if name in found:
            continue
        tlp = TLP_FOR_TAG.get(name.lower())
        tag = MispTag(name=name, colour=colour or (TLP_COLOURS[tlp] if tlp else "#ffffff"), org_id=org_id)
        try:
            with session.begin_nested():
                session.add(tag)
        except IntegrityError:  # another request created it first
            tag = session.scalar(select(MispTag).where(MispTag.org_id == org_id, MispTag.name == name))
        found[name] = tag
    return [found[n] for n in names]


def tags(session: Session, actor: Actor) -> list[MispTag]:
    """The tags of the actor's organisation, the TLP tags among them (national staff see every
    organisation's). Other organisations' tags can name their victims."""
    _ensure_tags(session, actor.org_id, [tlp_tag(t) for t in TLP_COLOURS])
    return list(session.scalars(scope(actor, select(MispTag).order_by(MispTag.id), MispTag)))


def _tag_by_id(session: Session, actor: Actor, text: str) -> MispTag:
    """A tag by numeric id, among the tags the actor may see: another organisation's private tag
    answers as a tag nobody has."""
    try:
        number = _id(text)
    except ValueError:
        raise NotFound("Invalid Tag.") from None
    tag = session.scalar(scope(actor, select(MispTag).where(MispTag.id == number), MispTag))
    if tag is None:
        raise NotFound("Invalid Tag.")
    return tag


def add_tag(session: Session, actor: Actor, body: Any) -> MispTag:
    if not isinstance(body, dict):
        raise Invalid("a tag must be a JSON object")
    body = body.get("Tag", body) if isinstance(body.get("Tag"), dict) else body
    name = str(body.get("name") or "").strip()
    if not name or len(name) > 255:
        raise Invalid("a tag needs a name of 1 to 255 characters")
    colour = str(body.get("colour") or "#ffffff")
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise Invalid("colour must look like #rrggbb")
    _require_writer(actor)
    return _ensure_tags(session, actor.org_id, [name], colour)[0]


def _tag_target(session: Session, actor: Actor, body: Any) -> tuple[MispEvent, MispAttribute | None, str]:
    if not isinstance(body, dict):
        raise Invalid("send {uuid, tag}")
    uid, name = str(body.get("uuid") or "").strip(), str(body.get("tag") or "").strip()
    if not uid or not name:
        raise Invalid("send the uuid of an event or attribute and the tag name")
    if name.isdigit():  # MISP accepts a tag id too
        name = _tag_by_id(session, actor, name).name
    try:
        uid = str(uuidlib.UUID(uid))
    except ValueError:
        raise NotFound("Invalid Target.") from None
    event = session.scalar(_visible_events(actor).where(MispEvent.uuid == uid).order_by(*_own_first(actor)))
    attribute = None
    if event is None:
        row = session.execute(_scoped_attributes(actor, select(MispAttribute, MispEvent)).where(
            MispAttribute.uuid == uid, MispAttribute.deleted.is_(False), MispEvent.deleted.is_(False))
            .order_by(*_own_first(actor), MispAttribute.id)).first()
        if row is None:
            raise NotFound("Invalid Target.")
        attribute, event = row
    _require_write(actor, event)
    return event, attribute, name[:255]


def tag(session: Session, actor: Actor, body: Any) -> MispEvent:
    """Attach a tag to an event or attribute. A TLP tag on the event can only make its
    incident stricter (``refresh_from_source``); what the event shows is the incident's label."""
    event, attribute, name = _tag_target(session, actor, body)
    target = attribute or event
    if name not in target.tags:
        target.tags = [*target.tags, name]
        _ensure_tags(session, event.org_id, [name])
        _touch(event)
        _audit_tag(session, actor, "misp.tag-attach", event, attribute, name)
        session.flush()
        _sync(session, actor, event)
    return event


def _audit_tag(session: Session, actor: Actor, action: str, event: MispEvent, attribute: MispAttribute | None,
               name: str) -> None:
    target = ("misp_attribute", attribute.id) if attribute is not None else ("misp_event", event.id)
    audit.record(session, actor, action, *target, tag=name, event=event.id, uuid=(attribute or event).uuid)


def untag(session: Session, actor: Actor, body: Any) -> MispEvent:
    """Remove a tag. Removing a TLP tag never loosens the incident's label."""
    event, attribute, name = _tag_target(session, actor, body)
    target = attribute or event
    if name not in target.tags:
        raise NotFound("Invalid Tag: it is not attached.")
    target.tags = [t for t in target.tags if t != name]
    _touch(event)
    _audit_tag(session, actor, "misp.tag-detach", event, attribute, name)
    return event


def event_tags(event: MispEvent, incident: Incident) -> list[str]:
    """Tags the event shows: its own, with the TLP tags replaced by the incident's current label."""
    return [*(t for t in event.tags if t.lower() not in TLP_FOR_TAG), tlp_tag(incident.tlp)]


# -- rendering ------------------------------------------------------------------------------


def _tag_body(name: str, colour_of: dict[str, str]) -> dict:
    return {"name": name, "colour": colour_of.get(name, "#ffffff"), "exportable": True, "hide_tag": False,
            "local": False}


def _shown_distribution(level: int) -> str:
    """A stored distribution as rendered: ncert has no sharing groups, so 4 is shown as what it
    gets, 0 (PyMISP refuses a 4 without a sharing group id)."""
    return str(0 if level == 4 else level)


def event_distribution(incident: Incident) -> str:
    """The audience the event actually has, as a MISP distribution: its incident's label, which
    the distribution it was sent with made stricter on intake (``ingest.misp.distribution``)."""
    return str(DISTRIBUTION_FOR_TLP[incident.tlp])


def _attribute_body(a: MispAttribute, event: MispEvent, colours: dict[str, str]) -> dict:
    return {
        "id": str(a.id), "type": a.type, "category": a.category, "to_ids": a.to_ids, "uuid": a.uuid,
        "event_id": str(event.id), "distribution": _shown_distribution(a.distribution), "sharing_group_id": "0",
        "timestamp": str(a.timestamp),
        "comment": a.comment, "deleted": a.deleted, "disable_correlation": False, "object_id": "0",
        "object_relation": a.object_relation, "first_seen": None, "last_seen": None, "value": a.value,
        "Tag": [_tag_body(t, colours) for t in a.tags],
    }


def _org_body(org: Organization) -> dict:
    return {"id": str(org.id), "name": org.name, "uuid": org_uuid(org), "local": True}


def _colours(session: Session, event: MispEvent, names: set[str]) -> dict[str, str]:
    """Colours of the event's tags, as its organisation's tags have them."""
    if not names:
        return {}
    return dict(session.execute(select(MispTag.name, MispTag.colour).where(
        MispTag.org_id == event.org_id, MispTag.name.in_(list(names)))).all())


def _meta(event: MispEvent, incident: Incident, org: Organization, tag_names: list[str], colours) -> dict:
    return {
        "id": str(event.id), "orgc_id": str(org.id), "org_id": str(org.id), "date": event.date.isoformat(),
        "threat_level_id": str(event.threat_level_id), "info": event.info, "published": event.published,
        "uuid": event.uuid, "analysis": str(event.analysis), "timestamp": str(event.timestamp),
        "distribution": event_distribution(incident), "proposal_email_lock": False, "locked": False,
        "publish_timestamp": str(event.publish_timestamp), "sharing_group_id": "0", "disable_correlation": False,
        "extends_uuid": "", "Org": _org_body(org), "Orgc": _org_body(org),
        "Tag": [_tag_body(t, colours) for t in tag_names],
    }


def render(session: Session, event: MispEvent, viewer: Actor | None = None, *, metadata: bool = False,
           raw_tags: bool = False, deleted: bool = False, attachments: bool = False) -> dict:
    """The event as MISP's API returns it to ``viewer``: ``{"Event": {...}}``, ids and epochs as strings.

    Objects are the attribute groups sharing an ``object_uuid``; only the attributes the viewer
    may see are shown (all of them without a viewer: the intake path's own view). ``raw_tags``
    keeps the tags as sent instead of showing the incident's TLP; ``attachments`` includes the
    stored ``data`` of malware samples and attachments, base64 as MISP sends it.
    """
    incident = session.get(Incident, event.incident_id)
    org = session.get(Organization, event.org_id)
    tag_names = list(event.tags) if raw_tags else event_tags(event, incident)
    attributes = [] if metadata else attributes_of(session, event, viewer, deleted=deleted)
    colours = _colours(session, event, set(tag_names) | {t for a in attributes for t in a.tags})
    data = _attachments(session, [a.id for a in attributes if a.type in ATTACHMENT_TYPES]) if attachments else {}
    body = _meta(event, incident, org, tag_names, colours)
    loose, objects = [], {}
    for a in attributes:
        rendered = _attribute_body(a, event, colours)
        if a.id in data:
            rendered["data"] = base64.b64encode(data[a.id]).decode()
        if a.object_uuid is None:
            loose.append(rendered)
            continue
        obj = objects.setdefault(a.object_uuid, {
            "id": str(a.id), "name": a.object_name, "meta-category": "misc", "uuid": a.object_uuid,
            "event_id": str(event.id), "timestamp": str(a.timestamp), "distribution": "5",
            "sharing_group_id": "0", "comment": "", "deleted": False, "Attribute": []})
        rendered["object_id"] = obj["id"]
        obj["Attribute"].append(rendered)
    body["attribute_count"] = str(len(attributes))
    if not metadata:
        body.update(Attribute=loose, Object=list(objects.values()), ShadowAttribute=[], RelatedEvent=[],
                    Galaxy=[], EventReport=[])
    return {"Event": body}


def render_attribute(session: Session, attribute: MispAttribute, event: MispEvent | None = None,
                     with_event: bool = False) -> dict:
    event = event or session.get(MispEvent, attribute.event_id)
    body = _attribute_body(attribute, event, _colours(session, event, set(attribute.tags)))
    if with_event:
        incident = session.get(Incident, event.incident_id)
        body["Event"] = {"id": str(event.id), "uuid": event.uuid, "info": event.info, "org_id": str(event.org_id),
                         "orgc_id": str(event.org_id), "distribution": event_distribution(incident)}
    return body


# -- searching -------------------------------------------------------------------------------


def _values(param: Any) -> tuple[list[str], list[str], list[str]]:
    """(OR, AND, NOT) value lists of a restSearch parameter: a value, a list, or {"OR","AND","NOT"};
    a leading ``!`` negates (MISP RestSearch)."""
    if param is None or param == "" or param == []:
        return [], [], []
    if isinstance(param, dict):
        unknown = set(param) - {"OR", "AND", "NOT"}
        if unknown:
            raise BadRequest(f"a complex query takes OR, AND and NOT, not {sorted(unknown)}")
        out = [_values(param.get(k)) for k in ("OR", "AND", "NOT")]
        return (out[0][0], out[1][0] + out[1][1], out[2][0] + out[2][1] + out[0][2] + out[1][2])
    items = param if isinstance(param, list) else [param]
    ors, nots = [], []
    for item in items:
        if isinstance(item, (dict, list)) or item is None:
            raise BadRequest(f"unsupported search value {item!r}")
        text = str(item)
        (nots if text.startswith("!") else ors).append(text[1:] if text.startswith("!") else text)
    return ors, [], nots


def _match(column, param: Any, *, key=None, cast: Callable[[str], Any] = str):
    """A WHERE clause for a restSearch parameter on ``column``; ``%`` wildcards use LIKE."""
    ors, ands, nots = _values(param)
    if not (ors or ands or nots):
        return None

    def one(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise BadRequest(f"{text!r} is not a valid search value") from None
        if isinstance(value, str) and "%" in value:
            return column.like(value)
        if key is not None:
            return and_(key == value[:VALUE_KEY], column == value)
        return column == value

    clauses = []
    if ors:
        clauses.append(or_(*map(one, ors)))
    clauses += [one(v) for v in ands]
    clauses += [not_(one(v)) for v in nots]
    return and_(*clauses)


MAX_EPOCH = 2**40  # far past any real timestamp, well inside every integer column
_RELATIVE = re.compile(r"^(\d+)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _epoch(value: Any, name: str) -> int:
    """An epoch from a restSearch time value: epoch seconds (possibly a float string) or "1d", "12h".

    At least 1: an unpublished event's publish_timestamp is 0 and no bound matches it."""
    text = str(value).strip().lower()
    m = _RELATIVE.fullmatch(text)
    if m:
        return max(1, now_epoch() - min(int(m[1]), MAX_ID) * _SECONDS[m[2]])
    try:
        return min(max(int(float(text)), 1), MAX_EPOCH)
    except (ValueError, OverflowError):
        try:
            return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())
        except ValueError:
            raise BadRequest(f"{name} must be epoch seconds, a date or a duration like 1d, not {value!r}") from None


def _range(column, value: Any, name: str):
    """``value`` is a lower bound, or a [from, to] pair."""
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise BadRequest(f"{name} takes a value or a [from, to] pair")
        low, high = value
        parts = [column >= _epoch(low, name)] if low not in (None, "") else []
        parts += [column <= _epoch(high, name)] if high not in (None, "") else []
        return and_(*parts) if parts else None
    return column >= _epoch(value, name)


def _day(value: Any, name: str) -> date | None:
    """A restSearch date: YYYY-MM-DD, or an epoch (PyMISP sends a Python date as its end-of-day epoch)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromtimestamp(float(text), timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise BadRequest(f"{name} must be YYYY-MM-DD or epoch seconds, not {value!r}") from None


def _bool(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise BadRequest(f"{name} must be true or false, not {value!r}")


def _positive(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a positive integer, not {value!r}") from None
    if not 0 < number <= MAX_ID:
        raise BadRequest(f"{name} must be a positive integer below 2^31, not {value!r}")
    return number


def _tag_predicate(param: Any) -> Callable[[set[str]], bool] | None:
    ors, ands, nots = _values(param)
    if not (ors or ands or nots):
        return None
    low = [[v.lower() for v in group] for group in (ors, ands, nots)]

    def has(names: set[str], pattern: str) -> bool:
        if "%" in pattern:
            rx = re.compile("^" + ".*".join(map(re.escape, pattern.split("%"))) + "$")
            return any(rx.match(n) for n in names)
        return pattern in names

    def ok(names: set[str]) -> bool:
        names = {n.lower() for n in names}
        return ((not low[0] or any(has(names, p) for p in low[0])) and all(has(names, p) for p in low[1])
                and not any(has(names, p) for p in low[2]))
    return ok


@dataclass(frozen=True)
class Query:
    """A restSearch or events/index body, checked."""

    body: dict

    def get(self, *names: str) -> Any:
        for name in names:
            if self.body.get(name) not in (None, ""):
                return self.body[name]
        return None


def _query(body: Any) -> Query:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("the search body must be a JSON object")
    body = body.get("request", body) if isinstance(body.get("request"), dict) else body
    fmt = body.get("returnFormat", "json")
    if fmt not in (None, "json"):
        raise BadRequest(f"returnFormat {fmt!r} is not supported; use json")
    return Query(body)


def _attribute_exists(actor: Actor, conditions: list):
    """An event has a live attribute, one the actor may see, meeting ``conditions`` (an attribute
    hidden from the actor never makes its event match)."""
    return scope(actor, exists().where(MispAttribute.event_id == MispEvent.id, MispAttribute.deleted.is_(False),
                                       *conditions), MispAttribute)


def _event_clauses(actor: Actor, q: Query) -> list:
    clauses = []
    attr = []  # conditions an event's attribute must meet
    for clause in (
        _match(MispAttribute.value, q.get("value"), key=MispAttribute.value_key),
        _match(MispAttribute.type, q.get("type")),
        _match(MispAttribute.category, q.get("category")),
    ):
        if clause is not None:
            attr.append(clause)
    to_ids = _bool(q.get("to_ids"), "to_ids")
    if to_ids is not None:
        attr.append(MispAttribute.to_ids.is_(to_ids))
    if attr:
        clauses.append(_attribute_exists(actor, attr))
    clauses += [*_common(q), _range(MispEvent.timestamp, q.get("timestamp"), "timestamp")]
    return [c for c in clauses if c is not None]


def _common(q: Query) -> list:
    clauses = [
        _match(MispEvent.id, q.get("eventid"), cast=_id),
        _range(MispEvent.publish_timestamp, q.get("publish_timestamp", "last"), "publish_timestamp"),
        _range(MispEvent.timestamp, q.get("event_timestamp"), "event_timestamp"),
        _match(MispEvent.info, q.get("eventinfo")),
    ]
    since, until = _day(q.get("from", "datefrom"), "from"), _day(q.get("to", "dateuntil"), "to")
    if since:
        clauses.append(MispEvent.date >= since)
    if until:
        clauses.append(MispEvent.date <= until)
    published = _bool(q.get("published"), "published")
    if published is not None:
        clauses.append(MispEvent.published.is_(published))
    return [c for c in clauses if c is not None]


def _page(q: Query) -> tuple[int | None, int]:
    limit, page = _positive(q.get("limit"), "limit"), _positive(q.get("page"), "page")
    return limit, ((page or 1) - 1) * (limit or 0)


def _take(rows, keep: Callable[[Any], bool] | None, limit: int | None, offset: int) -> list:
    out, skipped = [], 0
    for row in rows:
        if keep is not None and not keep(row):
            continue
        if skipped < offset:
            skipped += 1
            continue
        out.append(row)
        if limit is not None and len(out) >= limit:
            break
    return out


def _events(session: Session, actor: Actor, q: Query, extra: list) -> list[tuple[MispEvent, Incident]]:
    stmt = scope(actor, select(MispEvent, Incident).join(Incident, Incident.id == MispEvent.incident_id)
                 .where(MispEvent.deleted.is_(False), *extra).order_by(MispEvent.id))
    limit, offset = _page(q)
    tags = _tag_predicate(q.get("tags", "event_tags"))
    if tags is None and limit is not None:
        stmt = stmt.limit(limit).offset(offset)
        limit, offset = None, 0
    keep = (lambda row: tags(set(event_tags(*row)))) if tags else None
    return _take(session.execute(stmt), keep, limit, offset)


def search_events(session: Session, actor: Actor, body: Any) -> list[dict]:
    """``events/restSearch``: full events (``metadata`` leaves out attributes)."""
    q = _query(body)
    uuid = _match(MispEvent.uuid, q.get("uuid"))
    found = _events(session, actor, q, _event_clauses(actor, q) + ([uuid] if uuid is not None else []))
    metadata = bool(_bool(q.get("metadata"), "metadata"))
    audit.record(session, actor, "misp.export", "misp_search", "events/restSearch", events=len(found))
    attachments = bool(_bool(q.get("withAttachments"), "withAttachments"))
    return [render(session, e, actor, metadata=metadata, attachments=attachments) for e, _ in found]


def search_index(session: Session, actor: Actor, body: Any) -> list[dict]:
    """``events/index``: event metadata, no attributes."""
    q = _query(body)
    clauses = [c for c in (*_common(q), _range(MispEvent.timestamp, q.get("timestamp"), "timestamp")) if c is not None]
    if q.get("attribute") is not None:
        clauses += _event_clauses(actor, Query({"value": q.get("attribute")}))
    found = _events(session, actor, q, clauses)
    out = []
    for event, _ in found:
        meta = render(session, event, actor, metadata=True)["Event"]
        meta["EventTag"] = [{"Tag": t} for t in meta["Tag"]]
        out.append(meta)
    return out


def search_attributes(session: Session, actor: Actor, body: Any) -> list[dict]:
    """``attributes/restSearch``: attributes, each with its event's summary."""
    q = _query(body)
    clauses = [
        _match(MispAttribute.value, q.get("value"), key=MispAttribute.value_key),
        _match(MispAttribute.type, q.get("type")),
        _match(MispAttribute.category, q.get("category")),
        _range(MispAttribute.timestamp, q.get("timestamp"), "timestamp"),
        *_common(q),
    ]
    uuid = q.get("uuid")
    if uuid is not None:
        clauses.append(or_(_match(MispAttribute.uuid, uuid), _match(MispEvent.uuid, uuid)))
    to_ids = _bool(q.get("to_ids"), "to_ids")
    if to_ids is not None:
        clauses.append(MispAttribute.to_ids.is_(to_ids))
    deleted = _bool(q.get("deleted"), "deleted")
    if not deleted:  # deleted=1 includes soft-deleted attributes
        clauses.append(MispAttribute.deleted.is_(False))
    stmt = (_scoped_attributes(actor, select(MispAttribute, MispEvent, Incident))
            .where(MispEvent.deleted.is_(False), *[c for c in clauses if c is not None])
            .order_by(MispAttribute.id))
    limit, offset = _page(q)
    tags = _tag_predicate(q.get("tags"))
    if tags is None and limit is not None:
        stmt = stmt.limit(limit).offset(offset)
        limit, offset = None, 0
    keep = (lambda row: tags(set(row[0].tags) | set(event_tags(row[1], row[2])))) if tags else None
    rows = _take(session.execute(stmt), keep, limit, offset)
    audit.record(session, actor, "misp.export", "misp_search", "attributes/restSearch", attributes=len(rows))
    return [render_attribute(session, a, e, with_event=True) for a, e, _ in rows]



# -- the caller ------------------------------------------------------------------------------

_PERMS = ("perm_add", "perm_modify", "perm_modify_org", "perm_publish", "perm_delegate", "perm_sync", "perm_admin",
          "perm_audit", "perm_auth", "perm_site_admin", "perm_regexp_access", "perm_tagger", "perm_template",
          "perm_sharing_group", "perm_tag_editor", "perm_sighting", "perm_object_template", "perm_galaxy_editor",
          "perm_warninglist", "perm_view_feed_correlations", "perm_publish_zmq", "perm_publish_kafka")
# What each ncert role may do through this API, as MISP role flags.
_GRANTS: dict[Role, set[str]] = {
    Role.SECTOR_ANALYST: {"perm_add", "perm_modify", "perm_modify_org", "perm_publish", "perm_auth", "perm_tagger",
                          "perm_tag_editor", "perm_sighting"},
    Role.SOC_OPERATOR: {"perm_add", "perm_modify", "perm_modify_org", "perm_publish", "perm_auth", "perm_tagger",
                        "perm_tag_editor", "perm_sighting", "perm_audit"},
    Role.LEADERSHIP: {"perm_auth", "perm_audit"},
    Role.ADMIN: set(_PERMS) - {"perm_sync"},
}


def whoami(session: Session, actor: Actor) -> dict:
    """``users/view/me``: the key's holder as MISP's User, Role, UserSetting and Organisation."""
    org = session.get(Organization, actor.org_id)
    ident = str(actor.user_id or actor.api_key_id or 0)
    role = {"id": str(list(Role).index(actor.role) + 1), "name": str(actor.role),
            **{perm: perm in _GRANTS[actor.role] for perm in _PERMS}}
    return {
        "User": {"id": ident, "org_id": str(org.id), "role_id": role["id"], "email": actor.label,
                 "autoalert": False, "disabled": False, "change_pw": False, "termsaccepted": True,
                 "authkey": None, "contactalert": False},
        "Role": role,
        "UserSetting": {},
        "Organisation": _org_body(org),
    }


def describe_tag(tag: MispTag) -> dict:
    return {"id": str(tag.id), "name": tag.name, "colour": tag.colour, "exportable": True, "org_id": "0",
            "user_id": "0", "hide_tag": False, "numerical_value": None, "is_galaxy": False, "is_custom_galaxy": False,
            "local_only": False}
