"""How the console shows failures.

A domain error raised by a POST action, once the page it acts on has been
found (``context.return_to`` was called), is undone, flashed and sent back to
that page. Anything else renders an error page with the error's status:
a hidden incident is a 404 like a missing one, a role that lacks a right
gets a 403.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request
from flask_wtf.csrf import CSRFError

from ncert.console.blueprint import bp
from ncert.errors import NcertError
from ncert.web.session import rollback

TITLES = {400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found", 409: "Conflict",
          422: "Not accepted"}


def error_page(status: int, detail: str):
    return render_template("console/error.html", status=status, title=TITLES.get(status, "Error"),
                           detail=detail), status


@bp.errorhandler(NcertError)
def _domain_error(exc: NcertError):
    back = g.get("console_return_to")
    if back and request.method == "POST":
        rollback()
        flash(exc.detail, "error")
        return redirect(back)
    return error_page(exc.status, exc.detail)


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return error_page(400, f"The form could not be accepted ({exc.description}). Reload the page and try again.")
