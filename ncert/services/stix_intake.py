"""What STIX objects mean for the national queue.

Called with each batch of newly stored objects of a sector inbox (in the same
transaction as the store): indicators with simple patterns become normalised
Indicators, other STIX patterns are kept as pattern indicators, sightings and
observed-data become Sightings by the submitting organisation, incidents (and
reports of type incident) become Incidents, and relationships link
indicators to incidents. The submitter is always the authenticated
organisation: identities and created_by_ref in the payload are stored, never
believed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

import orjson
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ingest.stix import mapping
from ingest.stix.tlp import tlp_of
from ingest.stix.validate import check
from ncert.actor import Actor
from ncert.db import utcnow
from ncert.errors import NcertError
from ncert.models import ExternalRef, Incident, Sighting, StixObject, TaxiiCollection
from ncert.observables import MAX_VALUE_LENGTH, normalise
from ncert.services import incidents, indicators
from ncert.taxonomy import TLP

LOOKUP_CHUNK = 400
INCIDENT_SYSTEM = "stix"


def apply(session: Session, actor: Actor, coll: TaxiiCollection, objects: list) -> dict[str, str]:
    """Map one batch of newly stored, checked objects (``ingest.stix.validate.StixObject``).

    Returns, by STIX id, why an object was stored but could not enter the queue.
    """

    refs = _Refs(session, actor, coll, objects)
    # Indicator objects: STIX id -> normalised (type, value) keys.
    by_label: dict[TLP, list[mapping.IndicatorValue]] = defaultdict(list)
    keys_of: dict[str, list[tuple[str, str]]] = {}
    for obj in objects:
        if obj.type == "indicator":
            values = mapping.indicator_values(obj) or _pattern_value(obj)
            by_label[tlp_of(obj) or TLP.AMBER].extend(values)
            keys_of[obj.id] = [(kind, value) for kind, value, *_ in values]
    ids: dict[tuple[str, str], int] = {}
    for label, values in by_label.items():
        ids.update(indicators.upsert_values(session, values, label))

    sightings = []
    now = utcnow()
    for obj in objects:
        kind = obj.type
        if kind == "sighting":
            target, count, first, last = mapping.sighting_counts(obj)
            for key in _indicator_keys(target, keys_of, refs, mapping):
                if key not in ids:
                    ids.update(indicators.lookup_ids(session, [key]))
                ind_id = ids.get(key)
                if ind_id:
                    sightings.append({"indicator_id": ind_id, "org_id": actor.org_id, "incident_id": None,
                                      "seen_at": last or first or now, "count": count})
        elif kind == "observed-data":
            records = mapping.observed_indicators(obj, refs)
            found = indicators.upsert(session, records, tlp_of(obj) or TLP.AMBER) if records else {}
            ids.update(found)
            sightings += [{"indicator_id": found[(r.type, r.value)], "org_id": actor.org_id, "incident_id": None,
                           "seen_at": r.last_seen or r.first_seen or now, "count": r.count} for r in records]
    if sightings:
        session.execute(insert(Sighting), sightings)

    problems = {}
    for obj in objects:
        if mapping.is_incident(obj):
            try:
                with session.begin_nested():  # one incident that cannot enter the queue spoils no other
                    record = mapping.incident_record(obj, refs)
                    submission = incidents.submit(session, actor, record, channel="taxii")
                    if not submission.created:
                        incidents.refresh_from_source(session, actor, submission.incident, record)
            except (ValidationError, ValueError, NcertError) as exc:
                problems[obj.id] = f"stored, but not taken into the queue: {_reason(exc)}"

    for obj in objects:
        if obj.type == "relationship":
            _link(session, actor, obj.raw, keys_of, refs, ids, mapping)
    return problems


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "object"
        return f"{where}: {first['msg'].removeprefix('Value error, ')}"
    return getattr(exc, "detail", None) or str(exc)


def _pattern_value(obj) -> list[mapping.IndicatorValue]:
    """A STIX pattern that is not a simple comparison is kept whole, as a pattern indicator."""
    raw = obj.raw
    if obj.revoked or raw.get("pattern_type") != "stix" or len(raw["pattern"]) > MAX_VALUE_LENGTH:
        return []
    pattern = normalise("stix-pattern", raw["pattern"])
    return [("stix-pattern", pattern, raw.get("confidence", 50), obj.created, obj.modified)]


def _indicator_keys(stix_id: str | None, keys_of, refs: "_Refs", mapping) -> list[tuple[str, str]]:
    if not stix_id:
        return []
    if stix_id in keys_of:
        return keys_of[stix_id]
    raw = refs.get(stix_id)
    if raw is None or raw.get("type") != "indicator":
        return []
    obj = check(raw)
    keys_of[stix_id] = [(kind, value) for kind, value, *_ in mapping.indicator_values(obj) or _pattern_value(obj)]
    return keys_of[stix_id]


def _link(session: Session, actor: Actor, rel: dict, keys_of, refs, ids, mapping) -> None:
    """A relationship between an indicator and an incident links them in the domain."""
    ends = (rel.get("source_ref", ""), rel.get("target_ref", ""))
    incident_ref = next((e for e in ends if e.startswith(("incident--", "report--"))), None)
    indicator_ref = next((e for e in ends if e.startswith("indicator--")), None)
    if not incident_ref or not indicator_ref:
        return
    incident_id = session.scalar(
        select(Incident.id).join(ExternalRef, ExternalRef.incident_id == Incident.id).where(
            ExternalRef.org_id == actor.org_id, ExternalRef.system == INCIDENT_SYSTEM,
            ExternalRef.value == incident_ref))
    if incident_id is None:
        return
    keys = _indicator_keys(indicator_ref, keys_of, refs, mapping)
    missing = [k for k in keys if k not in ids]
    if missing:
        ids.update(indicators.lookup_ids(session, missing))
    indicators.link(session, incident_id, [ids[k] for k in keys if k in ids], role="related")


class _Refs:
    """Resolves STIX ids to raw objects: this batch first, then the latest versions
    the pushing organisation stored in the collection (on first need). References
    never reach another organisation's objects, whatever ids a push names."""

    def __init__(self, session: Session, actor: Actor, coll: TaxiiCollection, batch: Iterable):
        self.session, self.org_id, self.coll = session, actor.org_id, coll
        self.known = {obj.id: obj.raw for obj in batch}

    def get(self, stix_id: str) -> dict | None:
        if stix_id not in self.known:
            body = self.session.scalar(select(StixObject.body).where(
                StixObject.collection_id == self.coll.id, StixObject.org_id == self.org_id,
                StixObject.stix_id == stix_id, StixObject.is_latest.is_(True)))
            self.known[stix_id] = orjson.loads(body) if body else None
        return self.known[stix_id]

    def __getitem__(self, stix_id: str) -> dict:
        obj = self.get(stix_id)
        if obj is None:
            raise KeyError(stix_id)
        return obj

    def __contains__(self, stix_id: object) -> bool:
        return isinstance(stix_id, str) and self.get(stix_id) is not None
