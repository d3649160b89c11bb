"""MISP wire details: CakePHP paths, the API key, JSON bodies and error bodies.

PyMISP (``api.py`` ``_prepare_request``) sends the bare key in ``Authorization``
(or ``X-MISP-AUTH``), JSON bodies, and keyword parameters as CakePHP named path
segments (``events/view/12/noSightings:1``); MISP accepts every path with or
without a ``.json`` suffix. A 4xx body is ``{name, message, url, errors?}``
(MISP ``RestResponseComponent``), which PyMISP hands back as ``{"errors": (status, body)}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from flask import Response, current_app, request

from ncert import bodies
from ncert.errors import BadRequest, NcertError, Unauthenticated


class UnsupportedMediaType(NcertError):
    status, code = 415, "unsupported_media_type"


class MethodNotAllowed(NcertError):
    status, code = 405, "method_not_allowed"


@dataclass(frozen=True)
class CakePath:
    """``controller/action/arg…/name:value…`` with any ``.json`` suffix removed."""

    controller: str
    action: str
    args: tuple[str, ...] = ()
    named: dict[str, str] = field(default_factory=dict)

    @property
    def arg(self) -> str | None:
        return self.args[0] if self.args else None


def parse_path(path: str) -> CakePath:
    path = path.strip("/")
    if path.lower().endswith(".json"):
        path = path[:-5]
    parts = [p for p in path.split("/") if p]
    positional, named = [], {}
    for part in parts:
        name, sep, value = part.partition(":")
        if sep and name and len(positional) >= 2:
            named[name] = value
        else:
            positional.append(part)
    controller = positional[0] if positional else ""
    action = positional[1] if len(positional) > 1 else "index"
    return CakePath(controller, action, tuple(positional[2:]), named)


def api_key() -> str:
    key = (request.headers.get("Authorization") or request.headers.get("X-MISP-AUTH") or "").strip()
    if not key:
        raise Unauthenticated("Authentication failed. Please make sure you pass the API key of an API enabled user "
                              "along in the Authorization header.")
    return key


def body(*, required: bool = False) -> Any:
    """The JSON body; None when there is none and none is required."""
    data = request.get_data(cache=True)
    if not data.strip():
        if required:
            raise BadRequest("this action needs a JSON body")
        return None
    mime = request.mimetype or ""
    if mime not in ("application/json", "text/json") and not mime.endswith("+json"):
        raise UnsupportedMediaType(f"send the body as application/json, not {mime or 'no Content-Type'!r}")
    return bodies.loads(data, max_depth=current_app.extensions["ncert"].settings.max_json_depth)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status=status, content_type="application/json")


def error_response(status: int, message: str, errors: Any = None) -> Response:
    payload = {"name": message, "message": message, "url": request.path}
    if errors:
        payload["errors"] = errors
    if request.method == "HEAD":
        return Response(status=status)
    return json_response(payload, status)
