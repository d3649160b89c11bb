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

from ncert import i18n

# Codes and proper nouns that are the same in every language, with why.
ALLOWED = (
    re.compile(r"TLP:(CLEAR|GREEN|AMBER\+STRICT|AMBER|RED)"),  # FIRST's TLP labels are codes
    re.compile(r"CVE-\d{4}-\d{4,}"),  # CVE ids
    re.compile(r"NC-\d{4}-\d{6}|RISK-\d{4}-\d{3,}"),  # ncert's own references
    re.compile(r"\b(STIX 2\.1|STIX|TAXII|MISP|NIS2|CSAF|RSIT|NCSC|SHA-256|UTC|CSV|PDF|JSON|API|EU)\b"),  # standards
    re.compile(r"\b(ipv4-addr|domain-name|url|file|email-addr|sha256|md5)\b"),  # STIX observable types
    re.compile(r"planned / in_progress / done"),  # the keys one types in a risk's plan of actions
)

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
        rest = text
        for written in data:
            rest = rest.replace(written, " ")
        for allowed in ALLOWED:
            rest = allowed.sub(" ", rest)
        found = english_in(rest, words)
        if found:
            left.append((where, text, found))
    return left


def stored_texts(runtime, *written: str) -> list[str]:
    """What people wrote or named, longest first, to set aside before reading a page for English: incidents'
    titles and descriptions, the names and slugs of people, organisations, teams and playbooks, what a playbook
    wrote into tasks and requests (in the centre's language, or the asked organisation's, when it wrote them),
    and ``written`` (what the test wrote: comments, reasons, file names…). A sector keeps its stored name where
    the shipped registry does not know its slug (the test fixture's ``finance``), so that name is data too."""
    from sqlalchemy import select

    from ncert.models import Incident, Organization, PlaybookFiring, Rfi, Sector, Task, Team, User

    known = i18n.vocabulary("az")["sector"]
    with runtime.sessions() as s:
        texts = {*written}
        for column in (Incident.title, Incident.description, User.name, User.email, Organization.name,
                       Organization.slug, Team.name, Team.slug, Sector.slug, PlaybookFiring.playbook, Task.title,
                       Task.detail, Task.checklist, Rfi.title, Rfi.question):
            texts.update(s.scalars(select(column).distinct()))
        texts.update(sector.name for sector in s.scalars(select(Sector)) if sector.slug not in known)
    return sorted((t for t in texts if t), key=len, reverse=True)
