"""The REST API v1 at ``/api/v1``: JSON only, authenticated by bearer API keys.

Modules: ``routing`` (blueprint and operation table), ``auth`` (bearer keys),
``payloads`` (request bodies and query strings), ``serialize`` (response
models), ``errors`` (the one error shape), and the routes in ``advisories``, ``incidents``, ``kpi``, ``landscape``,
``me``, ``risks``, ``stix`` and ``openapi``.
"""

from __future__ import annotations

from flask import Flask

from ncert.api.v1 import (  # noqa: F401  (routes)
    advisories,
    auth,
    category_suggestions,
    errors,
    incidents,
    indicators,
    kpi,
    landscape,
    me,
    openapi,
    rfis,
    risks,
    search,
    stix,
    tasks,
)
from ncert.api.v1.routing import bp
from ncert.web.extensions import csrf


def register(app: Flask) -> None:
    errors.register(app)
    csrf.exempt(bp)  # bearer keys, not cookies: there is no cross-site request to forge
    app.register_blueprint(bp)
