"""The public door: published advisories without login and without JavaScript, as HTML
pages, an Atom feed and CSAF 2.0 documents with their provider metadata (issue 14)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from ncert.public.views import bp, error_page
    from ncert.web.errors import register_door

    app.register_blueprint(bp)
    for prefix in ("/advisories/", "/.well-known/csaf/"):
        register_door(app, prefix, lambda exc: error_page(exc.code or 500, exc.description or exc.name))
