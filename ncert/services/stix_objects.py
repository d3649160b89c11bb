"""STIX objects as the console shows them: the rows of a search page (``ncert.search.search_stix``),
and one stored version's JSON, served only when TAXII would serve it to the actor
(``ncert.access.scope_stix``), with the export of a national collection's object audited as TAXII's is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ncert.access import scope_stix
from ncert.actor import Actor
from ncert.errors import NotFound
from ncert.i18n import N_
from ncert.models import StixObject, TaxiiCollection
from ncert.services import audit


@dataclass(frozen=True)
class StixRow:
    id: int  # the stored version's row
    stix_id: str
    type: str
    name: str  # the object's name, else its pattern, else ""
    version: str  # modified, else created; "" for objects without one
    date_added: datetime
    collection: str  # the collection's alias


def rows(session: Session, ids: list[int]) -> dict[int, StixRow]:
    """The rows ``ids`` (search hits, already scoped) as the console lists them."""
    if not ids:
        return {}
    found = session.execute(
        select(StixObject.id, StixObject.stix_id, StixObject.type, StixObject.body, StixObject.version,
               StixObject.date_added, TaxiiCollection.alias)
        .join(TaxiiCollection, TaxiiCollection.id == StixObject.collection_id).where(StixObject.id.in_(ids)))
    out = {}
    for row in found:
        raw = orjson.loads(row.body)
        name = next((v for v in (raw.get("name"), raw.get("pattern")) if isinstance(v, str)), "")
        out[row.id] = StixRow(row.id, row.stix_id, row.type, name, row.version, row.date_added, row.alias)
    return out


def body(session: Session, actor: Actor, row_id: int) -> str:
    """The JSON of the stored version ``row_id``; 404 unless TAXII would serve it to ``actor``."""
    coll = session.scalar(select(TaxiiCollection).join(StixObject, StixObject.collection_id == TaxiiCollection.id)
                          .where(StixObject.id == row_id))
    text = coll and session.scalar(scope_stix(actor, coll, select(StixObject.body).where(StixObject.id == row_id)))
    if not text:
        raise NotFound(N_("no STIX object %(object)s"), object=row_id)
    if coll.kind == "national":  # what a partner takes from a national collection
        audit.record(session, actor, "taxii.export", "collection", coll.alias, objects=1)
    return text
