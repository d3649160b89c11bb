"""How the console shows failures.

A domain error raised by a POST action, once the page it acts on has been
found (``context.return_to`` was called), is undone, flashed and sent back to
that page. Anything else renders an error page with the error's status:
a hidden incident is a 404 like a missing one, a role that lacks a right
gets a 403.
"""

from __future__ import annotations

from flask import Flask, flash, g, redirect, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ncert.console.blueprint import bp
from ncert.errors import NcertError
from ncert.web.errors import register_door
from ncert.web.session import rollback

TITLES = {400: _l("Bad request"), 401: _l("Not signed in"), 403: _l("Not allowed"), 404: _l("Not found"),
          405: _l("Not allowed here"), 409: _l("Conflict"), 422: _l("Not accepted")}


def error_page(status: int, detail: str):
    return render_template("console/error.html", status=status, title=TITLES.get(status) or gettext("Error"),
                           detail=detail), status


@bp.errorhandler(NcertError)
def _domain_error(exc: NcertError):
    back = g.get("console_return_to")
    if back and request.method == "POST":
        rollback()
        flash(exc.localized(), "error")
        return redirect(back)
    return error_page(exc.status, exc.localized())


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return error_page(400, gettext("The form could not be accepted (%(reason)s). Reload the page and try again.",
                                   reason=exc.description))


def register_unrouted(app: Flask) -> None:
    """An unknown URL outside the other doors' prefixes (the API keeps its JSON errors) gets
    the console's own error page rather than the bare server page."""
    register_door(app, "/", _unrouted)


def _unrouted(exc: HTTPException):
    status = exc.code or 500
    detail = gettext("There is no page at %(path)s.", path=request.path) if status == 404 else exc.description
    page, status = error_page(status, detail)
    return page, status, {"Content-Security-Policy": "default-src 'none'; style-src 'self'", "X-Frame-Options": "DENY"}
