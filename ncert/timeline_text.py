"""What the system writes on an incident's timeline, in the reader's language (issue 14).

A system-written entry (a status change, a playbook firing, a category suggestion, a request for
information…) keeps two things: ``body``, the text in English, which the REST API, exports, search
and the audit trail read as before; and ``message``, how to say it again in any language: an English
template marked with ``N_`` and its arguments, ``{"id": msgid, "args": {...}}``. The console renders
``message`` in the request's language (``text_of``); an entry without one (a human comment, an entry
written before messages existed, a historical import) shows its ``body`` as stored.

An argument is plain JSON (a name, a reference, a reason someone typed: shown as written) or one of:

- ``{"id": msgid, "args": {...}}``: a message of its own (an action line of a playbook firing);
- ``{"vocab": name, "key": key}``: a controlled-vocabulary key (``ncert/vocabulary``): the key in
  English, as the console's selects show it (``option_label``), its term in the other languages;
  ``severity`` reads ``3 (Yüksək)``, ``category`` (``class/type``) both names;
- ``{"term": name, "key": key}``: the vocabulary's term in every language, English's too;
- ``{"num": value, "pattern": cldr}``: a number with the language's decimal sign and grouping;
- ``{"utc": iso}``: a UTC time as the console shows times (``2026-11-28 14:05 UTC``);
- ``{"join": [...], "sep": "; "}``: parts joined (a triage's changes, a firing's actions).

Rendered in English, a message is exactly the text the code wrote before messages existed, so the
stored ``body`` does not change. The builders below are what the services call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from babel.numbers import format_decimal

from ncert.i18n import SOURCE_LOCALE, format_utc_in, term, translate

log = logging.getLogger(__name__)

Message = dict[str, Any]


# -- building -------------------------------------------------------------------------------------


def message(msgid: str, **args: Any) -> Message:
    """``msgid`` (marked with ``N_`` where it is written) with its arguments."""
    return {"id": msgid, "args": args} if args else {"id": msgid}


def vocab(name: str, key: Any) -> Message:
    """A vocabulary key, shown as the key in English and as its term in the other languages."""
    return {"vocab": name, "key": str(key)}


def vocab_term(name: str, key: Any) -> Message:
    """A vocabulary key, shown as its term in every language."""
    return {"term": name, "key": str(key)}


def num(value: int | float, pattern: str | None = None) -> Message:
    """A number in the reader's locale (``1,234`` · ``1.234`` · ``1 234``); ``pattern`` a CLDR one."""
    return {"num": value, "pattern": pattern} if pattern else {"num": value}


def utc(value: datetime) -> Message:
    """A UTC time, shown as the console shows times."""
    return {"utc": value.isoformat()}


def joined(parts: Iterable[Any], sep: str = "; ") -> Message:
    return {"join": list(parts), "sep": sep}


# -- rendering ------------------------------------------------------------------------------------


def render(value: Any, lang: str) -> str:
    """``value`` (a message or one of its arguments) in ``lang``."""
    if isinstance(value, dict):
        if "id" in value:  # a message without "args" is text alone: a "%" in it is no placeholder
            text = value["id"] if lang == SOURCE_LOCALE else translate(lang, value["id"])
            if "args" not in value:
                return text
            return text % {name: render(arg, lang) for name, arg in value["args"].items()}
        if "vocab" in value:
            return _vocab_label(value["vocab"], value["key"], lang)
        if "term" in value:
            return term(value["term"], value["key"], lang)
        if "num" in value:
            return format_decimal(value["num"], format=value.get("pattern"), locale=lang)
        if "utc" in value:
            return format_utc_in(datetime.fromisoformat(value["utc"]), lang)
        if "join" in value:
            return value.get("sep", "; ").join(render(part, lang) for part in value["join"])
        raise ValueError(f"not a timeline message: {value!r}")
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(render(part, lang) for part in value)
    return str(value)


def english(value: Any) -> str:
    """The text stored as the entry's ``body``."""
    return render(value, SOURCE_LOCALE)


def text_of(entry, lang: str) -> str:
    """A timeline entry as ``lang`` reads it: its message rendered, else its body as stored. A message the
    code can no longer render (written by another version) falls back to the body, never to an error page."""
    found = getattr(entry, "message", None)
    if not found or lang == SOURCE_LOCALE:
        return entry.body
    try:
        return render(found, lang)
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("timeline entry %s: message not rendered in %s (%s); showing its body", entry.id, lang, exc)
        return entry.body


def _vocab_label(name: str, key: str, lang: str) -> str:
    if lang == SOURCE_LOCALE:
        return key
    if name == "category":
        rsit_class, _, rsit_type = key.partition("/")
        return f"{term('rsit_class', rsit_class, lang)} / {term('rsit_type', rsit_type, lang)}" if rsit_type else key
    if name == "severity":
        return f"{key} ({term('severity', key, lang)})"
    return term(name, key, lang)
