"""One database session per request, committed only when the request succeeds.

A response below 400 commits; anything else (an error response, an
exception) rolls back, so a rejected request writes nothing. A handler that
turns an error into a redirect must call ``rollback()`` first.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from ncert.models import Organization
from ncert.runtime import Runtime
from ncert.services import directory


def runtime() -> Runtime:
    return current_app.extensions["ncert"]


def db() -> Session:
    if "ncert_db" not in g:
        g.ncert_db = runtime().sessions()
    return g.ncert_db


def national_org() -> Organization:
    """The national centre's own organisation (``NCERT_NATIONAL_ORG``), e.g. as the author of exports."""
    return directory.org_by_slug(db(), runtime().settings.national_org)


def rollback() -> None:
    if "ncert_db" in g:
        g.ncert_db.rollback()


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_on_success(response):
        session = g.get("ncert_db")
        if session is not None:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        return response

    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("ncert_db", None)
        if session is not None:
            session.close()
