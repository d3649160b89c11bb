"""Unrouted requests (an unknown URL, a wrong method) belong to no blueprint, so
their errors reach the application. Each door registers the URL prefix it owns
and the handler that speaks its protocol; everything else falls through to
Flask's own pages."""

from __future__ import annotations

from typing import Callable

from flask import Flask, request
from werkzeug.exceptions import HTTPException

_DOORS = "ncert_error_doors"


def register_door(app: Flask, prefix: str, handler: Callable[[HTTPException], object]) -> None:
    doors = app.extensions.setdefault(_DOORS, [])
    if not doors:
        app.register_error_handler(HTTPException, lambda exc: _dispatch(app, exc))
    doors.append((prefix, handler))


def _dispatch(app: Flask, exc: HTTPException):
    for prefix, handler in app.extensions[_DOORS]:
        if request.path.startswith(prefix):
            return handler(exc)
    return exc
