"""The console's languages (issue 14): Azerbaijani (Latin script), English and Russian.

Strings in templates and views are marked for Flask-Babel and translated from the catalogues in
``ncert/translations`` (English is the source text: it has no catalogue). Controlled vocabularies
(RSIT classes and types, TLP, severity levels, NIS2 stages, sectors) are data, not template text:
``ncert/vocabulary/<lang>.json`` keyed by the vocabulary's own key, looked up by ``term``.

The language of a request, first found wins:
1. ``?lang=az|en|ru`` on the URL (the console keeps it in the session and on the user's profile);
2. the language kept in the session;
3. the signed-in user's profile (``users.locale``);
   (the public advisory pages skip 2 and 3: they are anonymous and set no cookie)
4. the browser's ``Accept-Language``, best match among the three;
5. ``NCERT_DEFAULT_LOCALE``.
The REST API (``/api/``) takes 4 and 5 alone: an API key is an organisation's, not a person's, so
it has no profile, and a URL argument or cookie would change what a client's error ``detail`` says
from one call to the next.
Anything else in ``?lang=`` is ignored. Times stay UTC in every language.

Flask and Flask-Babel come through ``_web()`` to the functions that serve a request (or ``speaking``'s
stand-in for one), not with this module: the worker and most commands import it for ``N_``,
``translate`` and the formats, and load no Flask (issue 12). Where Flask was never imported no request
or app can be under way, so ``_in_request`` and ``default_locale`` answer without importing it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from babel import support
from babel.dates import format_date
from babel.numbers import format_decimal

if TYPE_CHECKING:
    from flask import Flask

LOCALES = ("az", "en", "ru")
SOURCE_LOCALE = "en"  # the text in the code; the others have catalogues
LANGUAGE_NAMES = {"az": "Azərbaycanca", "en": "English", "ru": "Русский"}
PACKAGE = Path(__file__).resolve().parent
TRANSLATIONS = PACKAGE / "translations"
VOCABULARY = PACKAGE / "vocabulary"
SESSION_KEY = "ncert_locale"


@cache
def _web() -> tuple[ModuleType, ModuleType]:
    """``flask`` and ``flask_babel``, imported by the first function that serves a request or sets up an app."""
    import flask
    import flask_babel

    return flask, flask_babel


def _in_request() -> bool:
    """Whether a request is under way; never one where Flask was not imported (the worker, the commands)."""
    flask = sys.modules.get("flask")
    return flask is not None and flask.has_request_context()


@cache
def _babel():
    """The one Flask-Babel instance of every app (the catalogues it loads serve them all)."""
    return _web()[1].Babel()


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here: whoever shows it translates it."""
    return message


def default_locale() -> str:
    """``NCERT_DEFAULT_LOCALE``: the running app's, else the environment's (the worker, the CLI)."""
    flask = sys.modules.get("flask")  # as in _in_request: no app runs where Flask was never imported
    if flask is not None and flask.has_app_context():
        return flask.current_app.config.get("BABEL_DEFAULT_LOCALE", SOURCE_LOCALE)
    import os

    from ncert.config import _locale

    return _locale(os.environ)


@cache
def _catalogue(lang: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [lang])


def translate(lang: str, message: str, **values) -> str:
    """``message`` (marked with ``N_``) in ``lang``, with ``values`` filled in, outside any request: for what
    is written to someone else (an e-mail, a report) rather than to the person asking."""
    text = _catalogue(lang).ugettext(message)
    return text % values if values else text


def format_utc_in(value: datetime | None, lang: str) -> str:
    """``format_utc`` in ``lang``."""
    if value is None:
        return "—"
    if lang == SOURCE_LOCALE:
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return f"{format_date(value, 'medium', locale=lang)} {value:%H:%M} UTC"


def format_day_in(value: date, lang: str) -> str:
    """A day in ``lang``: ISO in English (``2026-11-30``), the locale's medium date otherwise."""
    return value.isoformat() if lang == SOURCE_LOCALE else format_date(value, "medium", locale=lang)


def init_app(app: Flask, default_locale: str) -> None:
    app.config.update(BABEL_DEFAULT_LOCALE=default_locale, BABEL_DEFAULT_TIMEZONE="UTC",
                      BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS))
    _babel().init_app(app, locale_selector=select_locale)
    # Templates translate through the request's catalogue, found once per request: Flask-Babel's own
    # callables look the locale and catalogue up again for each string, and a queue page has hundreds
    # (they took the console's "Open" tab past its 50 ms at a million incidents, issue 15).
    app.jinja_env.install_gettext_callables(lambda s: _translations().ugettext(s),
                                            lambda s, p, n: _translations().ungettext(s, p, n), newstyle=True)
    app.jinja_env.globals.update(current_locale=current_locale, language_names=LANGUAGE_NAMES,
                                 language_url=language_url, term=term, option_label=option_label,
                                 category_label=category_label, sector_name=sector_name,
                                 regime_label=regime_label, marked=marked)
    app.jinja_env.filters.update(num=format_number)


class FormTranslations:
    """WTForms' own validation messages ("This field is required.") in the request's language: ncert's
    ``wtforms`` catalogue (Azerbaijani, which WTForms does not ship), then WTForms' own catalogues."""

    def _catalogue(self):
        if not _in_request():
            return None
        flask, flask_babel = _web()
        found = getattr(flask.request, "ncert_form_translations", None)
        if found is None:
            from wtforms.i18n import messages_path

            locale = [flask_babel.get_locale()]
            found = support.Translations.load(str(TRANSLATIONS), locale, domain="wtforms")
            found.add_fallback(support.Translations.load(messages_path(), locale, domain="wtforms"))
            flask.request.ncert_form_translations = found
        return found

    def gettext(self, string: str) -> str:
        found = self._catalogue()
        return string if found is None else found.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._catalogue()
        if found is None:
            return singular if n == 1 else plural
        return found.ungettext(singular, plural, n)


FORM_TRANSLATIONS = FormTranslations()


def asked_locale() -> str | None:
    """The language ``?lang=`` asks for, if it is one of ours (anything else is ignored)."""
    asked = _web()[0].request.args.get("lang", "")
    return asked if asked in LOCALES else None


def select_locale() -> str:
    """Flask-Babel's locale selector: the precedence in the module's docstring."""
    flask = _web()[0]
    request = flask.request
    default = flask.current_app.config.get("BABEL_DEFAULT_LOCALE", SOURCE_LOCALE)
    if not flask.has_request_context():
        return default
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LOCALES) or default
    if request.blueprint == "public":  # anonymous and cookie-free: the URL, else the browser
        return asked_locale() or request.accept_languages.best_match(LOCALES) or default
    chosen = asked_locale() or flask.session.get(SESSION_KEY)
    if chosen in LOCALES:
        return chosen
    profile = _profile_locale()
    if profile in LOCALES:
        return profile
    return request.accept_languages.best_match(LOCALES) or default


def _profile_locale() -> str | None:
    from flask_login import current_user

    if current_user and current_user.is_authenticated and hasattr(current_user, "model"):
        return current_user.model.locale
    return None


def current_locale() -> str:
    """The request's language code: az, en or ru (found once per request: every label on a page asks)."""
    flask, flask_babel = _web()
    if not flask.has_request_context():
        return _language(flask_babel.get_locale())
    found = getattr(flask.request, "ncert_locale", None)
    if found is None:
        found = flask.request.ncert_locale = _language(flask_babel.get_locale())
    return found


def _language(locale) -> str:
    return locale.language if locale is not None else SOURCE_LOCALE


def _translations() -> support.NullTranslations:
    """The request's catalogue, found once per request."""
    flask, flask_babel = _web()
    if not flask.has_request_context():
        return flask_babel.get_translations()
    found = getattr(flask.request, "ncert_translations", None)
    if found is None:
        found = flask.request.ncert_translations = flask_babel.get_translations()
    return found


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Within the block, what is rendered as for a request (``gettext``, ``current_locale``, the
    vocabularies) is in ``lang``: for what is written outside a request, as the CLI's reports."""
    app = _web()[0].Flask(__name__)
    init_app(app, lang)
    with app.test_request_context(f"/?lang={lang}"):
        yield


def language_url(code: str) -> str:
    """This page's URL with ``?lang=code`` (its other query arguments kept)."""
    request = _web()[0].request
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", code)]
    return f"{request.path}?{urlencode(args)}"


@cache
def vocabulary(lang: str) -> dict[str, dict[str, str]]:
    """``ncert/vocabulary/<lang>.json``: {vocabulary: {key: label}}."""
    return json.loads((VOCABULARY / f"{lang}.json").read_text(encoding="utf-8"))


def term(vocabulary_name: str, key, lang: str | None = None) -> str:
    """The label of ``key`` in a controlled vocabulary, in the request's language; English, then the
    key itself, when a language lacks it (the completeness test keeps that from happening)."""
    key = str(key)
    lang = lang or (current_locale() if _in_request() else SOURCE_LOCALE)
    for code in (lang, SOURCE_LOCALE):
        label = vocabulary(code).get(vocabulary_name, {}).get(key)
        if label:
            return label
    return key


def marked(text: str) -> str:
    """A text the code marked with ``N_`` and stored or passed on as English (a score's override, a default
    scale's label), in the page's language; a text the catalogue lacks (one a person wrote) as written."""
    return _translations().ugettext(text) if text and _in_request() else text


def reader_locale() -> str:
    """The request's language; outside a request, English (the source text)."""
    return current_locale() if _in_request() else SOURCE_LOCALE


def regime_label(regime) -> str:
    """A reporting regime's title: a built-in's (``ncert.clocks.REGIMES``, the law as code) from the ``regime``
    vocabulary, one an admin stored as they wrote it."""
    from ncert.clocks import REGIMES

    return term("regime", regime.name) if regime.name in REGIMES else regime.title


def option_label(vocabulary_name: str, key) -> str:
    """A select option for a vocabulary key: the key itself in English (what analysts type and the API
    speaks), its term in the other languages."""
    if (current_locale() if _in_request() else SOURCE_LOCALE) == SOURCE_LOCALE:
        return str(key)
    return term(vocabulary_name, key)


def sector_name(sector) -> str:
    """A sector's name: as stored in English, the shipped registry's term in the other languages (a sector
    the registry does not know keeps its stored name)."""
    lang = current_locale() if _in_request() else SOURCE_LOCALE
    if lang != SOURCE_LOCALE and sector.slug in vocabulary(lang).get("sector", {}):
        return term("sector", sector.slug, lang)
    return sector.name


def category_label(category: str) -> str:
    """An RSIT ``class/type`` pair: as is in English, both names translated in the other languages."""
    rsit_class, _, rsit_type = str(category).partition("/")
    if (current_locale() if _in_request() else SOURCE_LOCALE) == SOURCE_LOCALE or not rsit_type:
        return str(category)
    return f"{term('rsit_class', rsit_class)} / {term('rsit_type', rsit_type)}"


def class_label(rsit_class: str) -> str:
    """An RSIT class offered as a filter on all its types."""
    return _web()[1].gettext("%(name)s (all types)", name=option_label("rsit_class", rsit_class))


def format_utc(value: datetime | None) -> str:
    """A UTC time for the page: ISO-like in English (as the console always showed it), the
    locale's own day, month and 24-hour time in Azerbaijani and Russian; always marked UTC."""
    return format_utc_in(value, current_locale() if _in_request() else SOURCE_LOCALE)


def format_number(value, pattern: str | None = None) -> str:
    """A count or measure with the locale's decimal sign (0.85 · 0,85) and grouping; ``pattern`` is
    a CLDR number pattern ("0.00": two decimals), else the locale's own (up to three decimals)."""
    if value is None or isinstance(value, str):
        return "—" if value is None else value
    lang = current_locale() if _in_request() else SOURCE_LOCALE
    return format_decimal(value, format=pattern, locale=lang)


def format_duration(value: timedelta | None) -> str:
    """``2d 3h 5m`` with the locale's unit letters."""
    if value is None:
        return "—"
    gettext = _web()[1].gettext
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [gettext("%(n)sd", n=days)] if days else []
    if days or hours:
        parts.append(gettext("%(n)sh", n=hours))
    parts.append(gettext("%(n)sm", n=minutes))
    return " ".join(parts)
