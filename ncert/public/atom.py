"""Published advisories as an Atom 1.0 feed (RFC 4287)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from xml.etree import ElementTree as ET

from ncert.services.advisories import PublishedAdvisory

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _date(value: datetime) -> str:
    """RFC 4287 §3.3 Date Constructs: RFC 3339 date-time."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed(advisories: list[PublishedAdvisory], *, title: str, author: str, feed_url: str, site_url: str,
         page_url: Callable[[str], str], csaf_url: Callable[[PublishedAdvisory], str], lang: str | None,
         withdrawn_label: str = "withdrawn") -> bytes:
    """One entry per advisory (its latest published revision), newest first. A withdrawn advisory keeps its
    entry, updated when it was withdrawn: its title says so (``withdrawn_label``, in the feed's language),
    its summary starts with the reason, and it carries the category ``withdrawn``."""
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _text(root, "id", feed_url)  # §4.2.6: a permanent IRI
    _text(root, "title", title)
    updated = max((a.current_release for a in advisories), default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    _text(root, "updated", _date(updated))
    _text(ET.SubElement(root, f"{{{ATOM}}}author"), "name", author)  # §4.1.1: a feed names its author
    ET.SubElement(root, f"{{{ATOM}}}link", rel="self", href=feed_url, type="application/atom+xml")
    ET.SubElement(root, f"{{{ATOM}}}link", rel="alternate", href=site_url, type="text/html")
    for advisory in advisories:
        revision = advisory.latest
        entry_lang, text = revision.text(lang)
        entry = ET.SubElement(root, f"{{{ATOM}}}entry", {XML_LANG: entry_lang})
        _text(entry, "id", page_url(advisory.reference))
        withdrawal = advisory.withdrawal
        mark = f" ({withdrawn_label})" if withdrawal is not None else ""
        _text(entry, "title", f"{advisory.reference}{mark}: {text['title']}")
        _text(entry, "published", _date(advisory.initial_release))
        _text(entry, "updated", _date(advisory.current_release))
        reason = f"{withdrawn_label.capitalize()}: {withdrawal.withdrawal_reason}\n\n" if withdrawal is not None else ""
        _text(entry, "summary", reason + text["summary"])
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=page_url(advisory.reference), type="text/html")
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=csaf_url(advisory), type="application/json",
                      title="CSAF 2.0")
        ET.SubElement(entry, f"{{{ATOM}}}category", term=revision.severity, label=f"Severity: {revision.severity}")
        if withdrawal is not None:
            ET.SubElement(entry, f"{{{ATOM}}}category", term="withdrawn", label=withdrawn_label)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = value
