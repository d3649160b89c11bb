"""TAXII 2.1 endpoints (§4 API roots and status, §5 collections and objects)."""

from __future__ import annotations

import io

import orjson
from flask import Blueprint, Flask, g, request, url_for
from werkzeug.exceptions import HTTPException

from ncert.errors import BadRequest, NcertError, NotFound
from ncert.services import directory, taxii
from ncert.taxii import protocol
from ncert.taxii.protocol import MEDIA_TYPE, taxii_json
from ncert.web.errors import register_door
from ncert.web.extensions import csrf
from ncert.web.session import db, runtime

API_ROOT = "ncert"
IN_MEMORY_BODY = 8 * 1024 * 1024  # bytes; larger pushes are parsed as a stream
bp = Blueprint("taxii", __name__, url_prefix="/taxii2")


def register(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
    register_door(app, "/taxii2/", _http_error)


@bp.before_request
def _authenticate():
    request.max_content_length = runtime().settings.taxii_max_content_length
    protocol.check_accept()
    key = directory.authenticate_key(db(), protocol.api_key())
    g.actor = directory.actor_for_key(key, "taxii")


@bp.errorhandler(NcertError)
def _domain_error(exc: NcertError):
    return protocol.error_response(exc.status, exc.code.replace("_", " "), exc.detail)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return protocol.error_response(exc.code or 500, exc.name, exc.description or exc.name)


def _root_url() -> str:
    return url_for("taxii.api_root", _external=True)


@bp.get("/")
def discovery():
    root = _root_url()
    return taxii_json({
        "title": "ncert national TAXII server",
        "description": "STIX 2.1 exchange with the national CERT: sector inboxes and national sharing collections.",
        "contact": "the national CERT duty desk",
        "default": root,
        "api_roots": [root],
    })


@bp.get(f"/{API_ROOT}/")
def api_root():
    return taxii_json({
        "title": "ncert national exchange",
        "description": "One inbox collection per sector and one national collection per sharing audience.",
        "versions": [MEDIA_TYPE],
        "max_content_length": runtime().settings.taxii_max_content_length,
    })


@bp.get(f"/{API_ROOT}/status/<status_id>/")
def status(status_id: str):
    s = taxii.get_status(db(), g.actor, status_id)
    return taxii_json(_status_body(s))


def _status_body(s) -> dict:
    return {
        "id": s.id, "status": s.status, "request_timestamp": taxii.taxii_timestamp(s.request_timestamp),
        "total_count": s.total_count, "success_count": s.success_count, "failure_count": s.failure_count,
        "pending_count": s.pending_count, "successes": s.successes, "failures": s.failures, "pendings": s.pendings,
    }


def _collection_body(coll, access) -> dict:
    return {
        "id": coll.id, "title": coll.title, "description": coll.description, "alias": coll.alias,
        "can_read": access.can_read, "can_write": access.can_write, "media_types": [MEDIA_TYPE],
    }


@bp.get(f"/{API_ROOT}/collections/")
def collections():
    found = taxii.collections(db(), g.actor)
    if not found:
        return taxii_json({})
    return taxii_json({"collections": [_collection_body(c, a) for c, a in found]})


@bp.get(f"/{API_ROOT}/collections/<collection_id>/")
def collection(collection_id: str):
    return taxii_json(_collection_body(*taxii.collection(db(), g.actor, collection_id)))


def _date_headers(page: taxii.Page) -> dict:
    if not page.rows:
        return {}
    return {"X-TAXII-Date-Added-First": taxii.taxii_timestamp(page.first_added),
            "X-TAXII-Date-Added-Last": taxii.taxii_timestamp(page.last_added)}


def _envelope(page: taxii.Page) -> str:
    """The envelope, built from the stored JSON text without re-serialising it."""
    if not page.rows:
        return "{}"
    head = f'{{"more":true,"next":"{page.next}",' if page.more else '{"more":false,'
    return head + '"objects":[' + ",".join(row[5] for row in page.rows) + "]}"


def _page_limit() -> int:
    return protocol.limit(runtime().settings.taxii_page_max)


@bp.get(f"/{API_ROOT}/collections/<collection_id>/objects/")
def get_objects(collection_id: str):
    coll, _ = taxii.collection(db(), g.actor, collection_id)
    page = taxii.page(db(), g.actor, coll, protocol.object_filter(), limit=_page_limit(),
                      next_token=request.args.get("next"))
    return taxii_json(_envelope(page), headers=_date_headers(page))


@bp.post(f"/{API_ROOT}/collections/<collection_id>/objects/")
def add_objects(collection_id: str):
    from ingest.stix.reader import StixDocumentError
    from ncert.services import stix_intake

    protocol.check_content_type()
    coll, _ = taxii.collection(db(), g.actor, collection_id)
    max_depth = runtime().settings.max_json_depth
    try:
        status = taxii.add_objects(db(), g.actor, coll, _request_objects(max_depth),
                                   on_stored=stix_intake.apply if coll.kind == "inbox" else None, max_depth=max_depth)
    except StixDocumentError as exc:
        raise BadRequest(str(exc)) from None
    return taxii_json(_status_body(status), 202)


def _request_objects(max_depth: int):
    """The pushed objects: parsed at once when the body is small (fastest), streamed
    when it is large, so a big push never needs its size in memory several times.
    A small body orjson refuses (malformed, or nested past its 1024 levels) is read
    by the streaming reader instead, which cuts what is too deep object by object
    and names what is malformed."""
    from ingest.stix.reader import iter_objects, objects_of

    length = request.content_length
    if length is not None and length <= IN_MEMORY_BODY:
        data = request.get_data(cache=False)
        try:
            return objects_of(orjson.loads(data))
        except orjson.JSONDecodeError:
            return iter_objects(io.BytesIO(data), max_depth)
    return iter_objects(request.stream, max_depth)


@bp.get(f"/{API_ROOT}/collections/<collection_id>/objects/<object_id>/")
def get_object(collection_id: str, object_id: str):
    coll, _ = taxii.collection(db(), g.actor, collection_id)
    f = protocol.object_filter(allow_id_type=False)
    f = taxii.ObjectFilter(added_after=f.added_after, ids=(object_id,), versions=f.versions,
                           spec_versions=f.spec_versions)
    page = taxii.page(db(), g.actor, coll, f, limit=_page_limit(), next_token=request.args.get("next"))
    if not page.rows and not request.args.get("next"):
        raise NotFound(f"no object {object_id!r} in collection {coll.id}")
    return taxii_json(_envelope(page), headers=_date_headers(page))


@bp.delete(f"/{API_ROOT}/collections/<collection_id>/objects/<object_id>/")
def delete_object(collection_id: str, object_id: str):
    coll, _ = taxii.collection(db(), g.actor, collection_id)
    taxii.delete_object(db(), g.actor, coll, object_id, protocol.object_filter(allow_id_type=False))
    return taxii_json(b"", 200)


@bp.get(f"/{API_ROOT}/collections/<collection_id>/objects/<object_id>/versions/")
def object_versions(collection_id: str, object_id: str):
    coll, _ = taxii.collection(db(), g.actor, collection_id)
    page = taxii.versions(db(), g.actor, coll, object_id, protocol.object_filter(allow_id_type=False),
                          limit=_page_limit(), next_token=request.args.get("next"))
    if not page.rows and not request.args.get("next"):
        raise NotFound(f"no object {object_id!r} in collection {coll.id}")
    body = {"more": page.more, "versions": [row[3] for row in page.rows]}
    if page.more:
        body["next"] = page.next
    return taxii_json(body, headers=_date_headers(page))


@bp.get(f"/{API_ROOT}/collections/<collection_id>/manifest/")
def manifest(collection_id: str):
    coll, _ = taxii.collection(db(), g.actor, collection_id)
    page = taxii.page(db(), g.actor, coll, protocol.object_filter(), limit=_page_limit(),
                      next_token=request.args.get("next"), with_body=False)
    if not page.rows:
        return taxii_json({})
    body = {"more": page.more, "objects": [
        {"id": row[2], "date_added": taxii.taxii_timestamp(row[1]), "version": row[3],
         "media_type": f"application/stix+json;version={row[4]}"} for row in page.rows]}
    if page.more:
        body["next"] = page.next
    return taxii_json(body, headers=_date_headers(page))
