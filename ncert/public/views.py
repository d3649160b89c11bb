"""Public, anonymous and script-free: ``/advisories/`` (the list), ``/advisories/<reference>``
(the latest published revision, or ``?revision=N``, with the history), ``/advisories/feed.atom``,
under ``/.well-known/csaf/`` the provider metadata, the CSAF directory, the ROLIE feed, service and
category documents it names (and, when documents are signed, the signatures and the public key),
and ``/.well-known/security.txt`` (RFC 9116) pointing at the provider metadata.
Only published revisions reach these views (``advisories.published``/``public_advisory``); a
withdrawn advisory stays, marked withdrawn."""

from __future__ import annotations

from datetime import timedelta

import orjson
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext

from ncert.db import utcnow
from ncert.errors import NcertError
from ncert.public import atom, csaf
from ncert.services import advisories
from ncert.web.session import db, national_org, runtime

bp = Blueprint("public", __name__, template_folder="templates")
LANGUAGE_NAMES = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@bp.after_request
def _headers(response: Response) -> Response:
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")  # the language shown follows it (RFC 9110 §12.5.5)
    return response


def error_page(status: int, detail: str):
    return render_template("public/error.html", status=status, detail=detail), status, PAGE_HEADERS


@bp.errorhandler(NcertError)
def _domain_error(exc: NcertError):
    return error_page(exc.status, exc.localized())


def _lang(available=advisories.LANGUAGES) -> str | None:
    """Of the ``available`` languages: ``?lang=az|en|ru``, else the browser's preference among them
    (Accept-Language, RFC 9110 §12.5.4), else none (the text's first language)."""
    asked = request.args.get("lang", "")
    return asked if asked in available else request.accept_languages.best_match(list(available))


def _publisher() -> dict:
    return csaf.publisher(national_org().name, request.url_root)


def _signer():
    """The CSAF signing key (``ncert.public.openpgp``), or None: documents are not signed."""
    return current_app.extensions.get("ncert_csaf_signer")


def _csaf_url(advisory: advisories.PublishedAdvisory) -> str:
    year, name = csaf.path(advisory).split("/")
    return url_for("public.csaf_document", year=int(year), name=name, _external=True)


@bp.get("/advisories/")
def advisory_list():
    lang = _lang()
    shown = [(a, *a.latest.text(_lang(a.latest.texts))) for a in advisories.published(db())]
    return render_template("public/list.html", advisories=shown, lang=lang, languages=LANGUAGE_NAMES)


@bp.get("/advisories/<reference>")
def advisory_page(reference: str):
    found = advisories.public_advisory(db(), reference)
    if found.reference != reference:
        return redirect(url_for("public.advisory_page", reference=found.reference, **request.args))
    wanted = request.args.get("revision", "")
    revision = found.latest
    if wanted:
        revision = next((r for r in found.revisions if str(r.number) == wanted), None)
        if revision is None:
            abort(404, f"{found.reference} has no published revision {wanted}")
    lang, text = revision.text(_lang(revision.texts))
    return render_template("public/advisory.html", advisory=found, revision=revision, lang=lang, text=text,
                           languages=LANGUAGE_NAMES, csaf_url=_csaf_url(found))


@bp.get("/advisories/feed.atom")
def advisory_feed():
    body = atom.feed(advisories.published(db()), title=f"{national_org().name}: security advisories",
                     author=national_org().name, feed_url=url_for("public.advisory_feed", _external=True),
                     site_url=url_for("public.advisory_list", _external=True),
                     page_url=lambda ref: url_for("public.advisory_page", reference=ref, _external=True),
                     csaf_url=_csaf_url, lang=request.args.get("lang"), withdrawn_label=gettext("withdrawn"))
    return Response(body, mimetype="application/atom+xml")


@bp.get("/.well-known/csaf/provider-metadata.json")
def provider_metadata():
    """CSAF 2.0 §7.1.9: the provider metadata at its well-known URL."""
    published = advisories.published(db())
    signer = _signer()
    key = None if signer is None else {
        "fingerprint": signer.fingerprint,
        "url": url_for("public.openpgp_key", name=signer.key_filename, _external=True)}
    body = csaf.provider_metadata(
        canonical_url=url_for("public.provider_metadata", _external=True),
        directory_url=url_for("public.csaf_directory", _external=True),
        feed_url=url_for("public.rolie_feed", _external=True), publisher_info=_publisher(),
        last_updated=max((a.current_release for a in published), default=utcnow()), openpgp_key=key)
    return _json(body)


def _feed_title() -> str:
    return f"{national_org().name}: CSAF feed (TLP:{csaf.TLP_LABEL})"


@bp.get(f"/.well-known/csaf/{csaf.ROLIE_FEED}")
def rolie_feed():
    """§7.1.15: the ROLIE feed of the TLP:WHITE documents, as the provider metadata names it."""
    published = advisories.published(db())
    body = csaf.rolie_feed(published, feed_id=f"ncert-csaf-feed-tlp-{csaf.DIRECTORY}", title=_feed_title(),
                           feed_url=url_for("public.rolie_feed", _external=True), document_url=_csaf_url,
                           updated=max((a.current_release for a in published), default=utcnow()),
                           service_url=url_for("public.rolie_service", _external=True),
                           categories_url=url_for("public.rolie_categories", _external=True),
                           signed=_signer() is not None)
    return _json(body)


@bp.get(f"/.well-known/csaf/{csaf.ROLIE_SERVICE}")
def rolie_service():
    """§7.1.16: the ROLIE service document, next to the provider metadata, listing its one feed."""
    return _json(csaf.service_document(
        title=f"{national_org().name}: public CSAF feeds", feed_title=_feed_title(),
        feed_url=url_for("public.rolie_feed", _external=True),
        categories_url=url_for("public.rolie_categories", _external=True)))


@bp.get(f"/.well-known/csaf/{csaf.ROLIE_CATEGORIES}")
def rolie_categories():
    """§7.1.17: the category document of the TLP:WHITE feed."""
    return _json(csaf.category_document(advisories.published(db())))


@bp.get(f"/.well-known/csaf/{csaf.OPENPGP_DIRECTORY}/<name>")
def openpgp_key(name: str):
    """§7.1.20: the public part of the signing key, named by its fingerprint (only when documents are signed)."""
    signer = _signer()
    if signer is None or name != signer.key_filename:
        abort(404, "no such key")
    return Response(signer.public_key, mimetype="application/pgp-keys")


@bp.get("/.well-known/security.txt")
def security_txt():
    """RFC 9116 security.txt with the CSAF field (CSAF 2.0 §7.1.8): Contact from NCERT_SECURITY_CONTACT, else
    the national organisation's contact e-mail, else this site; Expires from NCERT_SECURITY_TXT_EXPIRES, else
    90 days after now (the file is written by the running service, so it is current when read)."""
    settings = runtime().settings
    contacts = list(settings.security_contact)
    if not contacts:
        email = national_org().contact_email
        contacts = [f"mailto:{email}" if email else request.url_root]
    expires = settings.security_txt_expires or (utcnow() + timedelta(days=90)).replace(microsecond=0)
    body = csaf.security_txt(contacts=contacts, expires=expires,
                             provider_metadata_url=url_for("public.provider_metadata", _external=True),
                             canonical_url=url_for("public.security_txt", _external=True),
                             languages=list(advisories.LANGUAGES))
    return Response(body, mimetype="text/plain")  # RFC 9116 §3: text/plain, UTF-8


@bp.get(f"/.well-known/csaf/{csaf.DIRECTORY}/")
def csaf_directory():
    """§7.1.14: a listing of the directory, as plain links."""
    published = advisories.published(db())
    years = sorted({a.initial_release.year for a in published}, reverse=True)
    return render_template("public/listing.html", entries=["index.txt", "changes.csv", *(f"{y}/" for y in years)])


@bp.get(f"/.well-known/csaf/{csaf.DIRECTORY}/<int:year>/")
def csaf_year(year: int):
    names = [csaf.path(a).split("/")[1] for a in advisories.published(db()) if a.initial_release.year == year]
    extensions = [*csaf.HASHES, *([csaf.SIGNATURE] if _signer() is not None else [])]
    entries = [entry for name in names for entry in (name, *(f"{name}.{extension}" for extension in extensions))]
    if not entries:
        abort(404, f"no advisories of {year}")
    return render_template("public/listing.html", entries=entries)


@bp.get(f"/.well-known/csaf/{csaf.DIRECTORY}/index.txt")
def csaf_index():
    return Response(csaf.index_txt(advisories.published(db())), mimetype="text/plain")


@bp.get(f"/.well-known/csaf/{csaf.DIRECTORY}/changes.csv")
def csaf_changes():
    return Response(csaf.changes_csv(advisories.published(db())), mimetype="text/csv")


@bp.get(f"/.well-known/csaf/{csaf.DIRECTORY}/<int:year>/<name>")
def csaf_document(year: int, name: str):
    """A CSAF document (§5.1 names it after its tracking id), one of its hash files (§7.1.18:
    ``<document name>.sha256`` and ``.sha512``, hashing the very bytes the document URL serves), or,
    when documents are signed, its OpenPGP signature (§7.1.19: ``<document name>.asc``, of those bytes)."""
    document_name, _, extension = name.rpartition(".")
    signer = _signer()
    if extension not in csaf.HASHES and not (extension == csaf.SIGNATURE and signer is not None):
        document_name, extension = name, None
    found = advisories.public_advisory(db(), document_name.removesuffix(".json"))
    if csaf.path(found) != f"{year}/{document_name}":
        abort(404, f"no CSAF document {year}/{name}")
    if extension == csaf.SIGNATURE:
        return Response(signer.sign(_document_bytes(found, None)), mimetype="application/pgp-signature")
    if extension is not None:
        return Response(csaf.hash_file(extension, _document_bytes(found, None), document_name),
                        mimetype="text/plain")
    return Response(_document_bytes(found, request.args.get("lang")), mimetype="application/json")


def _document_bytes(found: advisories.PublishedAdvisory, lang: str | None) -> bytes:
    doc = csaf.document(found, lang=lang, publisher_info=_publisher(), csaf_url=_csaf_url(found),
                        page_url=url_for("public.advisory_page", reference=found.reference, _external=True))
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def _json(body: dict) -> Response:
    return Response(orjson.dumps(body, option=orjson.OPT_INDENT_2), mimetype="application/json")
