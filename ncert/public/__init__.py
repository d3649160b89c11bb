"""The public door: published advisories without login and without JavaScript, as HTML
pages, an Atom feed and CSAF 2.0 documents with their provider metadata (issue 14)."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from ncert.public.views import bp, error_page
    from ncert.web.errors import register_door

    settings = app.extensions["ncert"].settings
    if settings.csaf_openpgp_key is not None:  # CSAF 2.0 §7.1.19-20: the documents are signed
        from ncert.public.openpgp import Signer

        app.extensions["ncert_csaf_signer"] = Signer(settings.csaf_openpgp_key, settings.csaf_openpgp_passphrase)
    app.register_blueprint(bp)
    for prefix in ("/advisories/", "/.well-known/csaf/"):
        register_door(app, prefix, lambda exc: error_page(exc.code or 500, exc.description or exc.name))
