"""A published advisory for partners: a STIX 2.1 ``report`` (STIX 2.1 §4.16) in every national
TAXII collection, marked TLP:CLEAR, referring to its indicators and vulnerabilities; the MISP
feeds of those collections (``ncert.services.feeds``) render it as an event.

Every object's id is derived from the advisory's reference, so each published revision is a
new version of the same report (same id and ``created``, a later ``modified``: STIX 2.1 §3.6).
The revision that withdraws an advisory shares every object once more as revoked (§3.6: "no
longer considered valid by the object creator"; a revoked object is never unrevoked, and a
withdrawn advisory takes no further revision); the MISP feeds serve no revoked report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.actor import Actor
from ncert.lazy import stix2
from ncert.models import Advisory, AdvisoryRevision, Organization, TaxiiCollection
from ncert.services import audit, taxii
from ncert.services.stix_export import Exporter, _id, pattern_for
from ncert.taxonomy import TLP

SOURCE = "ncert-advisory"  # the external reference that names the advisory a report carries


def is_advisory(raw: Mapping[str, Any]) -> bool:
    """Whether a STIX object is an advisory's report."""
    return raw.get("type") == "report" and any(
        isinstance(ref, Mapping) and ref.get("source_name") == SOURCE for ref in raw.get("external_references") or ())


def report_objects(national: Organization, advisory: Advisory, revision: AdvisoryRevision) -> list[dict]:
    """The identity, the TLP:CLEAR marking, the indicators, the vulnerabilities and the report."""
    exporter = Exporter(national, TLP.CLEAR)
    created, modified = advisory.first_published_at, revision.published_at
    dates = {"created": created, "modified": modified, **exporter.common}
    if revision.withdrawal_reason is not None:
        dates["revoked"] = True
    objects = [stix2.Indicator(id=_id("indicator", SOURCE, advisory.reference, i["type"], i["value"]),
                               name=i["value"], pattern=pattern_for(i["type"], i["value"]), pattern_type="stix",
                               valid_from=created, indicator_types=["malicious-activity"], **dates)
               for i in revision.indicators]
    objects += [stix2.Vulnerability(id=_id("vulnerability", SOURCE, advisory.reference, cve), name=cve,
                                    external_references=[{"source_name": "cve", "external_id": cve}], **dates)
                for cve in revision.cves]
    lang = "en" if "en" in revision.texts else next(iter(revision.texts))
    text = revision.texts[lang]
    description = text["summary"] + (f"\n\n{text['actions']}" if text.get("actions") else "")
    report = stix2.Report(
        id=_id("report", SOURCE, advisory.reference), name=f"{advisory.reference}: {text['title']}",
        description=description, lang=lang, published=modified,
        report_types=["threat-report", *(["vulnerability"] if revision.cves else [])],
        labels=[f"severity:{revision.severity}"],
        object_refs=[o.id for o in objects] or [exporter.identity.id],
        external_references=[{"source_name": SOURCE, "external_id": advisory.reference},
                             *({"source_name": r["summary"], "url": r["url"]} for r in revision.references)],
        **dates)
    return exporter.bundle([*objects, report])["objects"]


def share(session: Session, actor: Actor, advisory: Advisory, revision: AdvisoryRevision) -> list[str]:
    """Push the revision's report into every national collection; returns their aliases."""
    national = session.get(Organization, actor.org_id)  # the publisher is national staff: the centre itself
    objects = report_objects(national, advisory, revision)
    shared = []
    for coll in session.scalars(select(TaxiiCollection).where(TaxiiCollection.kind == "national")
                                .order_by(TaxiiCollection.alias)):
        taxii.add_objects(session, actor, coll, objects)
        shared.append(coll.alias)
    audit.record(session, actor, "advisory.share", "advisory", advisory.reference, revision=revision.number,
                 collections=shared)
    return shared
