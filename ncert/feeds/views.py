"""MISP feed endpoints; errors are JSON ``{"name", "message", "url"}`` as MISP writes them."""

from __future__ import annotations

import base64
import binascii
import re

import orjson
from flask import Blueprint, Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from ncert.errors import NcertError, NotFound, Unauthenticated
from ncert.services import directory, feeds
from ncert.web.errors import register_door
from ncert.web.session import db, national_org

bp = Blueprint("misp_feeds", __name__, url_prefix="/misp-feeds")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CHALLENGE = 'Basic realm="ncert MISP feeds"'


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    register_door(app, "/misp-feeds/", _http_error)


def _api_key() -> str:
    """The key from a bare ``Authorization: <key>``, ``Bearer <key>`` or HTTP Basic (key as password)."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, value = header.partition(" ")
    if not value:
        return header
    if scheme.lower() in ("bearer", "token"):
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
    return ""


@bp.before_request
def _authenticate():
    key = _api_key()
    if not key:
        raise Unauthenticated("send your organisation's API key in Authorization (bare, Bearer, or Basic password)")
    g.actor = directory.actor_for_key(directory.authenticate_key(db(), key), "misp-feed")


def _error(status: int, name: str, message: str) -> Response:
    body = orjson.dumps({"name": name, "message": message, "url": request.path})
    response = Response(body, status=status, mimetype="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = CHALLENGE
    return response


@bp.errorhandler(NcertError)
def _domain_error(exc: NcertError):
    return _error(exc.status, exc.code.replace("_", " ").capitalize(), exc.detail)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return _error(exc.code or 500, exc.name, exc.description or exc.name)



@bp.get("/<audience>/manifest.json")
def manifest(audience: str):
    body, _ = feeds.feed_manifest(db(), g.actor, audience, national_org())
    return Response(orjson.dumps(body), mimetype="application/json")


@bp.get("/<audience>/hashes.csv")
def hashes(audience: str):
    _, text = feeds.feed_manifest(db(), g.actor, audience, national_org())
    return Response(text, mimetype="text/csv")


@bp.get("/<audience>/<event_uuid>.json")
def event(audience: str, event_uuid: str):
    if not UUID.match(event_uuid):
        raise NotFound(f"{event_uuid!r} is not an event UUID")
    return Response(orjson.dumps(feeds.feed_event(db(), g.actor, audience, national_org(), event_uuid)),
                    mimetype="application/json")
