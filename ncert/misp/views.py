"""MISP controller actions, each one call into ``ncert.services.misp_events``.

One catch-all route reads the CakePHP path (``protocol.parse_path``) and
dispatches on (controller, action); unknown actions are 404 and known ones
with the wrong method 405, in MISP's error shape.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from typing import TYPE_CHECKING, Callable

from flask import Blueprint, Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from ncert.errors import NcertError, NotFound
from ncert.misp import protocol
from ncert.misp.protocol import CakePath, MethodNotAllowed, json_response
from ncert.services import directory
from ncert.web.errors import register_door
from ncert.web.extensions import csrf
from ncert.web.session import db, runtime

if TYPE_CHECKING:
    from ncert.services import misp_events

# MISP's version as getVersion reports it: both strings must be dotted integers (PyMISP int()s each part).
MISP_VERSION = "2.5.34"
PYMISP_VERSION = ".".join(version("pymisp").split(".")[:3])

bp = Blueprint("misp", __name__, url_prefix="/misp")
Action = Callable[[CakePath], Response]
ACTIONS: dict[tuple[str, str], tuple[tuple[str, ...], Action]] = {}


def _events():
    """``ncert.services.misp_events``, imported by the first MISP request: it brings pymisp, whose
    import takes seconds, which neither ``ncert serve`` nor a WSGI worker should wait for at start."""
    from ncert.services import misp_events

    return misp_events


def register(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
    register_door(app, "/misp/", _http_error)


def action(controller: str, name: str, *methods: str):
    def wrap(fn: Action) -> Action:
        ACTIONS[(controller.lower(), name.lower())] = (methods, fn)
        return fn
    return wrap


@bp.errorhandler(NcertError)
def _domain_error(exc: NcertError):
    errors = getattr(exc, "errors", None)
    response = protocol.error_response(exc.status, exc.detail, errors)
    if isinstance(exc, _events().EventExists):  # MISP points at the existing event
        response.headers["Location"] = exc.location
    return response


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return protocol.error_response(exc.code or 400, exc.description or exc.name)


@bp.route("/", defaults={"path": ""}, methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
@bp.route("/<path:path>", methods=["GET", "HEAD", "POST", "PUT", "DELETE"])
def dispatch(path: str):
    # Events of 50,000 attributes are what MISP users push: the bulk-intake body limit applies, as for TAXII.
    request.max_content_length = runtime().settings.taxii_max_content_length
    g.actor = directory.actor_for_key(directory.authenticate_key(db(), protocol.api_key()), "misp")
    cake = protocol.parse_path(path)
    found = ACTIONS.get((cake.controller.lower(), cake.action.lower()))
    if found is None:
        raise NotFound(f"Could not find {cake.controller}/{cake.action}.")
    methods, fn = found
    if request.method not in methods:
        raise MethodNotAllowed(f"{cake.controller}/{cake.action} does not accept {request.method}")
    return fn(cake)


def _arg(cake: CakePath) -> str:
    if not cake.arg:
        raise NotFound("Invalid id: give an id or UUID in the path.")
    return cake.arg


def _ok(message: str, url: str, ident: str | int | None = None) -> Response:
    body = {"saved": True, "success": True, "name": message, "message": message, "url": url}
    if ident is not None:
        body["id"] = str(ident)
    return json_response(body)


# -- servers and users --------------------------------------------------------------------


@action("servers", "getVersion", "GET")
def get_version(_cake):
    return json_response({"version": MISP_VERSION, "pymisp_recommended_version": PYMISP_VERSION,
                          "perm_sync": False, "perm_sighting": True, "perm_galaxy_editor": False,
                          "request_encryption": False, "filter_sightings": True})


@action("servers", "getPyMISPVersion", "GET")
def get_pymisp_version(_cake):
    return json_response({"version": PYMISP_VERSION})


@action("users", "view", "GET")
def view_user(cake):
    if cake.arg != "me":
        raise NotFound("Invalid user: only 'me' can be viewed here.")
    return json_response(_events().whoami(db(), g.actor))


@cache
def _describe_types() -> bytes:
    """PyMISP's bundled describeTypes.json, which is MISP's own list of types and categories."""
    return files("pymisp").joinpath("data", "describeTypes.json").read_bytes()


@action("attributes", "describeTypes", "GET")
def describe_types(_cake):
    data = json.loads(_describe_types())
    return json_response({"result": data.get("result", data)})


# -- events ---------------------------------------------------------------------------------


def _attachment_max() -> int:
    return runtime().settings.attachment_max_bytes


def _saved(saved: misp_events.Saved, cake: CakePath) -> Response:
    """The saved event as MISP returns it; beside it, ``dropped`` lists the parts sent that were not
    saved, with their reasons (absent when nothing was dropped, so the answer is MISP's own)."""
    body = _events().render(db(), saved.event, g.actor, metadata=cake.named.get("metadata") == "1")
    if saved.dropped:
        body["dropped"] = [d.as_dict() for d in saved.dropped]
    return json_response(body)


@action("events", "add", "POST")
def add_event(cake):
    return _saved(_events().add_event(db(), g.actor, protocol.body(required=True),
                                        attachment_max_bytes=_attachment_max()), cake)


@action("events", "view", "GET", "HEAD", "POST")
def view_event(cake):
    options = protocol.body() if request.method == "POST" else None
    deleted = bool(options.get("deleted")) if isinstance(options, dict) else False
    event = _events().get_event(db(), g.actor, _arg(cake))
    if request.method == "HEAD":
        return Response(status=200)
    return json_response(_events().render(db(), event, g.actor, deleted=deleted, attachments=True))


@action("events", "edit", "POST", "PUT")
def edit_event(cake):
    return _saved(_events().update_event(db(), g.actor, _arg(cake), protocol.body(required=True),
                                           attachment_max_bytes=_attachment_max()), cake)


@action("events", "delete", "POST", "DELETE")
def delete_event(cake):
    event = _events().delete_event(db(), g.actor, _arg(cake))
    return _ok("Event deleted.", f"/events/delete/{event.id}", event.id)


@action("events", "publish", "POST")
def publish(cake):
    event = _events().publish(db(), g.actor, _arg(cake))
    return _ok("Event published.", f"/events/publish/{event.id}", event.id)


@action("events", "restSearch", "POST", "GET")
def search_events(_cake):
    return json_response({"response": _events().search_events(db(), g.actor, protocol.body())})


@action("events", "index", "POST", "GET")
def index(_cake):
    return json_response(_events().search_index(db(), g.actor, protocol.body()))


# -- attributes and sightings -------------------------------------------------------------------


@action("attributes", "add", "POST")
def add_attribute(cake):
    data = protocol.body(required=True)
    many = isinstance(data, list)
    added = _events().add_attributes(db(), g.actor, _arg(cake), data if many else [data],
                                       attachment_max_bytes=_attachment_max())
    rendered = [_events().render_attribute(db(), a) for a in added]
    if not many:
        return json_response({"Attribute": rendered[0]})
    # PyMISP reads a one-element list's answer as a single attribute (api.py add_attribute).
    return json_response({"Attribute": rendered[0] if len(rendered) == 1 else rendered, "errors": {}})


@action("attributes", "restSearch", "POST", "GET")
def search_attributes(_cake):
    return json_response({"response": {"Attribute": _events().search_attributes(db(), g.actor, protocol.body())}})


@action("sightings", "add", "POST")
def add_sighting(cake):
    data = protocol.body(required=True)
    return json_response({"Sighting": _events().add_sighting(db(), g.actor, data, cake.arg)})


# -- tags -----------------------------------------------------------------------------------------


@action("tags", "index", "GET")
def tags(_cake):
    return json_response({"Tag": [_events().describe_tag(t) for t in _events().tags(db(), g.actor)]})


@action("tags", "add", "POST")
def add_tag(_cake):
    return json_response({"Tag": _events().describe_tag(_events().add_tag(db(), g.actor,
                                                                              protocol.body(required=True)))})


@action("tags", "attachTagToObject", "POST")
def attach_tag(_cake):
    _events().tag(db(), g.actor, protocol.body(required=True))
    return json_response({"saved": True, "success": "Tag(s) attached.", "check_publish": True})


@action("tags", "removeTagFromObject", "POST")
def remove_tag(_cake):
    _events().untag(db(), g.actor, protocol.body(required=True))
    return json_response({"saved": True, "success": "Tag removed.", "check_publish": True})

