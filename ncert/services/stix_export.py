"""Incidents and indicators as STIX 2.1, built with the `stix2` library.

Ids are deterministic (UUIDv5 over what the object stands for), so exporting
the same incident twice gives the same objects, and a receiver deduplicates
them. Every object carries the TLP 2.0 marking it is shared under, and the
bundle includes the marking definitions and the national centre's identity.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import AUDIENCE_LABELS, severity_of, updated_of
from ncert.actor import Actor
from ncert.db import keys_in
from ncert.errors import Forbidden, Invalid
from ncert.i18n import N_
from ncert.lazy import stix2
from ncert.models import Incident, Indicator, Organization
from ncert.services import audit, incidents, indicators, taxii
from ncert.taxonomy import OPEN_STATUSES, TLP, Status
from ncert.timeline_text import message

# Namespace for ncert's deterministic STIX ids (a fixed random UUID of ours).
NAMESPACE = uuid.UUID("6f1f7f0e-2c55-4d0e-9b7c-5a1d3c2f8e61")
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
_HASH_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def pattern_for(kind: str, value: str) -> str:
    """The STIX pattern of a normalised indicator (STIX 2.1 §9)."""
    if kind == "stix-pattern":
        return value
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    if kind in _HASH_NAMES:
        return f"[file:hashes.'{_HASH_NAMES[kind]}' = '{escaped}']"
    return f"[{kind}:value = '{escaped}']"


class Exporter:
    """Builds STIX objects under one TLP label, as the national centre."""

    def __init__(self, national_org: Organization, tlp: TLP):
        from ingest.stix.tlp import marking_definition

        self.tlp = tlp
        self.marking = marking_definition(tlp)
        self.identity = stix2.Identity(
            id=_id("identity", "org", national_org.slug), name=national_org.name, identity_class="organization",
            created="2026-01-01T00:00:00.000Z", modified="2026-01-01T00:00:00.000Z")
        self.common = {"created_by_ref": self.identity.id, "object_marking_refs": [self.marking["id"]]}

    def indicator(self, ind: indicators.IndicatorFacts):
        if ind.type == "cve":
            return stix2.Vulnerability(
                id=_id("vulnerability", ind.value), name=ind.value, created=ind.first_seen, modified=ind.last_seen,
                external_references=[{"source_name": "cve", "external_id": ind.value}], **self.common)
        return stix2.Indicator(
            id=_id("indicator", ind.type, ind.value), name=ind.value, pattern=pattern_for(ind.type, ind.value),
            pattern_type="stix", valid_from=ind.first_seen, created=ind.first_seen,
            modified=max(ind.first_seen, ind.last_seen), confidence=ind.confidence,
            indicator_types=["malicious-activity"], **self.common)

    def incident(self, inc: Incident, severity: int, updated_at: datetime):
        """The incident as STIX, with the severity and update time its reader may know."""
        status = "new" if inc.status is Status.NEW else "open" if inc.status in OPEN_STATUSES else "closed"
        return stix2.Incident(
            id=_id("incident", inc.reference), name=inc.title, description=inc.description or None,
            created=inc.reported_at, modified=max(inc.reported_at, updated_at),
            external_references=[{"source_name": "ncert", "external_id": inc.reference},
                                 {"source_name": "rsit", "external_id": f"{inc.rsit_class}/{inc.rsit_type}"}],
            extensions={INCIDENT_CORE: {"extension_type": "property-extension", "determination": "suspected",
                                        "investigation_status": status, "criticality": severity * 20}},
            **self.common)

    def relationship(self, source, target, kind: str = "related-to"):
        return stix2.Relationship(
            id=_id("relationship", source.id, kind, target.id), relationship_type=kind, source_ref=source.id,
            target_ref=target.id, created=source.created, modified=source.modified, **self.common)

    def sighting(self, sighting, sighted):
        return stix2.Sighting(
            id=_id("sighting", sighted.id, str(sighting.id)), sighting_of_ref=sighted.id, count=sighting.count,
            first_seen=sighting.seen_at, last_seen=sighting.seen_at, created=sighting.seen_at,
            modified=sighting.seen_at, **self.common)

    def bundle(self, objects: list) -> dict:
        """A bundle dict: the identity, the marking definition, then the objects."""
        body = [_plain(self.identity), self.marking, *(_plain(o) for o in objects)]
        return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": body}


def _plain(obj) -> dict:
    return orjson.loads(obj.serialize())


def incident_objects(session: Session, actor: Actor, reference: str, national: Organization,
                     tlp: TLP | None = None) -> tuple[Exporter, list]:
    """The incident, its indicators, sightings and relationships as STIX objects."""
    inc = incidents.get(session, actor, reference)
    exporter = Exporter(national, tlp or inc.tlp)
    if tlp is None:  # an export: what the actor may see
        incident = exporter.incident(inc, severity_of(actor, inc), updated_of(actor, inc))
    else:  # published to an audience, the reporter's among them: what the reporter was told
        incident = exporter.incident(inc, inc.communicated_severity, inc.shared_updated_at)
    objects = [incident]
    stix_of: dict[int, object] = {}
    # An export shows the actor what it may see; publishing shares what the report itself said.
    facts = indicators.facts_of(session, actor, inc) if tlp is None else indicators.reported_facts(session, inc)
    for ind in facts:
        obj = exporter.indicator(ind)
        stix_of[ind.id] = obj
        objects += [obj, exporter.relationship(obj, incident)]
    for s in indicators.sightings_of_incident(session, actor, inc.id):
        if s.indicator_id in stix_of and stix_of[s.indicator_id].type == "indicator":
            objects.append(exporter.sighting(s, stix_of[s.indicator_id]))
    return exporter, objects


def incident_bundle(session: Session, actor: Actor, reference: str, national: Organization) -> dict:
    exporter, objects = incident_objects(session, actor, reference, national)
    audit.record(session, actor, "incident.export", "incident", reference.upper(), format="stix-2.1")
    return exporter.bundle(objects)


def _publish_target(session: Session, actor: Actor, collection_key: str, tlp: TLP):
    if not actor.can_triage:
        raise Forbidden(N_("only SOC operators and admins publish"))
    coll, _ = taxii.collection(session, actor, collection_key)
    if coll.kind != "national":
        raise Invalid(N_("%(alias)s is not a national sharing collection"), alias=coll.alias)
    if tlp not in AUDIENCE_LABELS:
        labels = ", ".join(str(t) for t in AUDIENCE_LABELS)
        raise Invalid(N_("%(alias)s carries only %(labels)s; %(tlp)s cannot be published there"),
                      alias=coll.alias, labels=labels, tlp=tlp)
    return coll


def publish_incident(session: Session, actor: Actor, reference: str, collection_key: str, tlp: TLP,
                     national: Organization):
    """Share an incident with a national audience at a chosen TLP; returns the TAXII status."""
    coll = _publish_target(session, actor, collection_key, tlp)
    exporter, objects = incident_objects(session, actor, reference, national, tlp)
    status = taxii.add_objects(session, actor, coll, exporter.bundle(objects)["objects"])
    incident = incidents.get(session, actor, reference)
    incidents.note(session, actor, incident, "published",
                   message(N_("Published to %(collection)s as %(tlp)s"), collection=coll.alias, tlp=str(tlp)),
                   action="incident.publish", collection=coll.alias, tlp=str(tlp))
    return status


def publish_indicators(session: Session, actor: Actor, keys: list[tuple[str, str]], collection_key: str,
                       tlp: TLP, national: Organization):
    """Share a set of indicators, by (type, normalised value), with a national audience."""
    coll = _publish_target(session, actor, collection_key, tlp)
    found = list(session.scalars(select(Indicator).where(keys_in((Indicator.type, Indicator.value), keys))))
    missing = set(keys) - {(i.type, i.value) for i in found}
    if missing:
        raise Invalid("unknown indicators: " + ", ".join(f"{k}:{v}" for k, v in sorted(missing)))
    exporter = Exporter(national, tlp)
    status = taxii.add_objects(session, actor, coll, exporter.bundle([exporter.indicator(i) for i in found])["objects"])
    audit.record(session, actor, "indicators.publish", "collection", coll.alias, tlp=str(tlp), count=len(found))
    return status
