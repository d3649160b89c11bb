"""Every API error is ``{"error": code, "detail": text}`` (422 adds ``errors``).

One handler maps the domain's NcertError, one maps werkzeug's HTTP errors
(404, 405, 413, 415…). The request session rolls back on any status >= 400,
so a rejected request writes nothing.

``error`` is the stable machine code; ``detail`` is for people, in the caller's
language (``Accept-Language``, else ``NCERT_DEFAULT_LOCALE``: ``ncert.i18n``).
The field messages in ``errors[].msg`` are pydantic's, in English.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_babel import gettext
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from ncert.api.v1.routing import bp, respond
from ncert.api.v1.serialize import ErrorBody, FieldError, ValidationErrorBody
from ncert.errors import Invalid, NcertError
from ncert.i18n import N_
from ncert.web.errors import register_door

# Stable machine codes for the HTTP errors werkzeug raises.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}

# Details of werkzeug's errors in the catalogues (werkzeug's own descriptions are English only).
HTTP_DETAILS = {
    400: N_("The request could not be understood."),
    401: N_("Authentication is required."),
    403: N_("You do not have the right to do this."),
    404: N_("There is nothing at this URL."),
    405: N_("The method %(method)s is not allowed for this URL."),
    413: N_("The request body is larger than this server accepts."),
    415: N_("The request body's media type is not supported."),
    500: N_("The server failed to answer the request."),
}


def error_response(status: int, code: str, detail: str, *, errors: list[FieldError] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body = ValidationErrorBody(error=code, detail=detail, errors=errors or []) if status == 422 else \
        ErrorBody(error=code, detail=detail)
    response = respond(body, status)
    if status == 401:
        # RFC 6750 §3: a 401 names the scheme; invalid_token when a key was presented.
        challenge = 'Bearer realm="ncert"'
        if request.headers.get("Authorization"):
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
    response.headers.update(headers or {})
    return response


def field_errors(exc: ValidationError) -> list[FieldError]:
    return [FieldError(loc=list(e["loc"]), msg=e["msg"].removeprefix("Value error, "), type=e["type"])
            for e in exc.errors()]


def summarise(errors: list[FieldError], *, query: bool = False) -> tuple[str, dict]:
    """A one-line detail naming the first problem (``indicators.0.value: not an IPv4 address``), as a
    message and its values for an NcertError: ``raise Invalid(message, errors=…, **values)``."""
    if not errors:
        return N_("invalid input"), {}
    first = errors[0]
    values = {"field": ".".join(str(part) for part in first.loc) or "body", "problem": first.msg}
    if len(errors) > 1:
        values["more"] = len(errors) - 1
        if query:
            return N_("invalid query parameter %(field)s: %(problem)s (and %(more)s more)"), values
        return N_("%(field)s: %(problem)s (and %(more)s more)"), values
    return (N_("invalid query parameter %(field)s: %(problem)s") if query else "%(field)s: %(problem)s"), values


@bp.errorhandler(NcertError)
def handle_ncert_error(exc: NcertError) -> Response:
    errors = None
    if isinstance(exc, Invalid):
        errors = [FieldError(loc=list(e.get("loc", ())), msg=str(e.get("msg", exc.detail)),
                             type=str(e.get("type", "invalid"))) for e in exc.errors]
    return error_response(exc.status, exc.code, exc.localized(), errors=errors)


@bp.errorhandler(HTTPException)
def handle_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = HTTP_CODES.get(status) or (exc.name or "error").lower().replace(" ", "_")
    # Keep werkzeug's own headers (e.g. Allow on a 405), not its HTML content type.
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_response(status, code, http_detail(exc, status), headers=headers)


def http_detail(exc: HTTPException, status: int) -> str:
    """The catalogue's detail for a status werkzeug raised with its own description; a description
    ncert gave is kept (translated where the catalogues have it)."""
    if exc.description and exc.description != type(exc).description:
        return gettext(exc.description)
    if status in HTTP_DETAILS:
        return gettext(HTTP_DETAILS[status], method=request.method) if status == 405 else gettext(HTTP_DETAILS[status])
    return exc.description or exc.name


def register(app: Flask) -> None:
    """The blueprint's own handlers are set at import; unrouted /api/ URLs answer JSON too."""
    register_door(app, "/api/", handle_http_error)
