"""English words left on a page read in another language (issue 14), judged against the source.

``tests/browser/test_languages.english_patterns`` finds a text that *is* an English message the source
marks; this finds an English *word* anywhere in a text, so a label built from a key
(``no-impact-to-services`` → "no impact to services"), a sentence left unmarked or an English term
inside a translated sentence is caught too. The English words are those of every message the source
marks, every English vocabulary term and every key the controlled vocabularies translate (split at
``-`` and ``_``); a word the language's own catalogue or vocabulary also uses (``Status``, ``TLP``,
``e-mail``, ``API``) is not English there. Data (names, titles, what people wrote) is the caller's to
strip before asking.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

import yaml

from ncert import clocks, i18n
from ncert.services.regimes import STAGE_SYNTAX

# Codes and proper nouns that are the same in every language, with why.
ALLOWED = (
    re.compile(r"TLP:(CLEAR|GREEN|AMBER\+STRICT|AMBER|RED)"),  # FIRST's TLP labels are codes
    re.compile(r"CVE-\d{4}-\d{4,}"),  # CVE ids
    re.compile(r"NC-\d{4}-\d{6}|RISK-\d{4}-\d{3,}"),  # ncert's own references
    re.compile(r"\b(STIX 2\.1|STIX|TAXII|MISP|NIS2|CSAF|RSIT|NCSC|SHA-256|UTC|CSV|PDF|JSON|API|EU)\b"),  # standards
    re.compile(r"\b(ipv4-addr|domain-name|url|file|email-addr|sha256|md5)\b"),  # STIX observable types
    re.compile(r"planned / in_progress / done"),  # the keys one types in a risk's plan of actions
    re.compile(r"\bstix-pattern\b"),  # ncert's indicator type for a STIX pattern, a key as the API and STIX files
    re.compile(r"\bncert (audit verify|models train)\b"),  # CLI commands the admin pages tell one to run, as typed
    re.compile(r"\bstart_clock\b"),  # the playbook action that starts a regime's deadlines, as a playbook's YAML says
    # A reporting regime's name is its key (the sector assignment, a playbook's start_clock, the API and CLI), shown
    # beside its title; its stages read in the one-stage-per-line syntax the admin's form parses, keywords and all.
    re.compile(r"\b(%s)\b" % "|".join(map(re.escape, sorted(clocks.REGIMES, key=len, reverse=True)))),
    re.compile(r"\b[a-z0-9][a-z0-9-]* \d+ (hours|days|months)( after (awareness|previous))?"
               r"( warn \d+ (minutes|hours|days))?"),
    re.compile(re.escape(STAGE_SYNTAX)),
    re.compile(r"\bhttps?://[^\s\"<>]+"),  # a URL is an address, not words (the feed form's example is one)
    re.compile(r"\bincident\.create\b"),  # the audit filter's example: an action code as the log records it
)

# A <code> element of one key, keyword or path is what one types (a playbook's condition keys all/any/not, its
# library's folder): code by its markup, as typed in every language. A sentence in <code> is still read.
CODE = re.compile(r"[\w./:+-]+")
WORD = re.compile(r"[^\W\d_]+")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{?\s*\w+\s*\}?\}|<[^>]+>")


def _words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(_PLACEHOLDER.sub(" ", text))}


def _texts(message) -> list[str]:
    return [t for t in (message if isinstance(message, tuple | list) else (message,)) if t]


@cache
def english_words(lang: str) -> frozenset[str]:
    """Lower-case words of two letters or more that are English and not also ``lang``'s."""
    from tests.test_translations import catalogue, source_messages

    english, theirs = set(), set()
    for message in source_messages():
        for text in _texts(message):
            english |= _words(text)
    for message in catalogue(lang):
        if message.id:
            for text in _texts(message.string):
                theirs |= _words(text)
    for name, terms in i18n.vocabulary(i18n.SOURCE_LOCALE).items():
        for key, label in terms.items():
            english |= _words(label) | _words(re.sub(r"[-_/]", " ", key))
    for terms in i18n.vocabulary(lang).values():
        for label in terms.values():
            theirs |= _words(label)
    return frozenset(w for w in english - theirs if len(w) > 1 and w.isascii())


def english_in(text: str, words: frozenset[str]) -> list[str]:
    """The English words of ``words`` found in ``text``, in order."""
    return [w for w in WORD.findall(text) if w.lower() in words]


class PageText(HTMLParser):
    """What a reader of a page may meet, server-side: every text node (closed ``<select>``'s options, a
    ``<details>``' folded content and ``<label>``s included) and every attribute a reader or a screen reader
    gets as text (``title``, ``aria-label``, ``placeholder``, ``alt``, a button input's ``value``), outside
    ``<script>``, ``<style>``, a ``<textarea>``'s value and what is marked as another language (the switch)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
    READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
    SKIPPED = ("style", "script", "textarea")  # a <textarea>'s text is the field's value, not the page's

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        self.lang, self.stack, self.texts = lang, [], []

    def _language(self, attrs: dict) -> str:
        return attrs.get("lang") or (self.stack[-1][1] if self.stack else self.lang)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = self._language(attrs)
        if lang == self.lang:
            where = f"<{tag}>"
            for name in self.READ_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append((f"{where} {name}", attrs[name]))
            if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
                self.texts.append((f"{where} value", attrs["value"]))
        if tag not in self.VOID:
            self.stack.append((tag, lang))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if any(open_tag == tag for open_tag, _ in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and self.stack and self.stack[-1][1] == self.lang and self.stack[-1][0] not in self.SKIPPED:
            self.texts.append((f"<{self.stack[-1][0]}>", text))


def page_texts(html: str, lang: str) -> list[tuple[str, str]]:
    """(where, text) for each text of ``html`` read in ``lang``: where is the element, and the attribute."""
    page = PageText(lang)
    page.feed(html)
    page.close()
    return page.texts


def english_in_texts(texts, data: list[str], lang: str = "az") -> list[tuple[str, str, list[str]]]:
    """(where, text, English words) for each of ``texts`` ((where, text) pairs) with English words left once
    ``data`` (texts people wrote or named, longest first) and the ``ALLOWED`` codes are set aside."""
    words = english_words(lang)
    left = []
    for where, text in texts:
        if where == "<code>" and CODE.fullmatch(text):
            continue
        found = english_in(_set_aside(text, data, ALLOWED), words)
        if found and not english_in(_set_aside(text, ALLOWED, data), words):
            found = []  # codes first: what data cut short (a URL with an organisation's slug in it) is whole again
        if found:
            left.append((where, text, found))
    return left


def _set_aside(text: str, first, then) -> str:
    """``text`` less ``first`` then ``then``: each data text (a string) or code (a pattern)."""
    for aside in (*first, *then):
        text = text.replace(aside, " ") if isinstance(aside, str) else aside.sub(" ", text)
    return text


def stored_texts(runtime, *written: str) -> list[str]:
    """What people wrote or named, longest first, to set aside before reading a page for English: incidents'
    titles and descriptions, the names and slugs of people, organisations, teams and playbooks, what a playbook
    wrote into tasks and requests (in the centre's language, or the asked organisation's, when it wrote them),
    playbooks' names, texts and descriptions, the audit log's records, and ``written`` (what the test wrote:
    comments, reasons, file names…). A sector keeps its stored name where
    the shipped registry does not know its slug (the test fixture's ``finance``), so that name is data too."""
    from sqlalchemy import select

    from ncert.models import (
        AuditEvent,
        Incident,
        Organization,
        PlaybookFiring,
        PlaybookVersion,
        Rfi,
        Sector,
        StoredPlaybook,
        Task,
        Team,
        User,
    )

    known = i18n.vocabulary("az")["sector"]
    with runtime.sessions() as s:
        texts = {*written}
        for column in (Incident.title, Incident.description, User.name, User.email, Organization.name,
                       Organization.slug, Team.name, Team.slug, Sector.slug, PlaybookFiring.playbook, Task.title,
                       Task.detail, Task.checklist, Rfi.title, Rfi.question):
            texts.update(s.scalars(select(column).distinct()))
        texts.update(sector.name for sector in s.scalars(select(Sector)) if sector.slug not in known)
        texts.update(s.scalars(select(StoredPlaybook.name)))
        for text in s.scalars(select(PlaybookVersion.text)):  # a playbook as its author wrote it, and its description
            described = yaml.safe_load(text)
            texts.update((" ".join(text.split()), described.get("description") if isinstance(described, dict) else None))
        for event in s.scalars(select(AuditEvent)):  # the audit log shows its records as recorded (hash-chained)
            texts.update((event.actor, event.interface, event.action, event.object_type, event.object_id,
                          _as_json(event.details)))
    return sorted((t for t in texts if t), key=len, reverse=True)


def _as_json(details) -> str | None:
    """An audit event's details as the page's ``tojson`` shows them."""
    import json

    if not details:
        return None
    text = json.dumps(details, sort_keys=True)
    for char in "<>&'":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text
