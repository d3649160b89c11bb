"""Playbook texts in several languages (issue 14).

A task title, a request's title and question, and an e-mail's subject and template may be
written as one string or as one per language::

    tasks:
      - {az: "Zərərli proqramın yayılmasını məhdudlaşdırın", en: "Contain the spread", ru: "Локализовать"}

A ``Text`` is a ``str`` (its English version, else its first) that also keeps the versions;
``Text.in_language`` picks the reader's: their language, then ``NCERT_DEFAULT_LOCALE``, then
English, then whichever the playbook gives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ncert.i18n import LOCALES, SOURCE_LOCALE
from playbooks.conditions import RuleError


class Text(str):
    versions: Mapping[str, str]

    def __new__(cls, versions: Mapping[str, str]):
        text = super().__new__(cls, versions.get(SOURCE_LOCALE) or next(iter(versions.values())))
        text.versions = dict(versions)
        return text

    def in_language(self, lang: str, default: str) -> str:
        for code in (lang, default, SOURCE_LOCALE):
            if code in self.versions:
                return self.versions[code]
        return str(self)


def in_language(text: str, lang: str, default: str) -> str:
    """``text`` for a reader of ``lang``: a ``Text``'s version, a plain string as written."""
    return text.in_language(lang, default) if isinstance(text, Text) else text


def texts(check: Callable[[Any], str]) -> Callable[[Any], str]:
    """A field that is either a string ``check`` accepts or a mapping of language codes (az, en, ru) to
    such strings; an unknown or missing code, or an empty mapping, is an error at its key."""
    def check_texts(value: Any) -> str:
        if not isinstance(value, dict):
            return check(value)
        if not value:
            raise ValueError(f"expected a text or one text per language ({', '.join(LOCALES)}), got an empty mapping")
        versions = {}
        for code, item in value.items():
            if code not in LOCALES:
                raise RuleError((str(code),), f"unknown language {code!r}; expected one of {', '.join(LOCALES)}")
            try:
                versions[code] = check(item)
            except ValueError as exc:
                raise RuleError((code,), str(exc)) from None
        return Text(versions)

    return check_texts
