"""The advisory form: one block of texts per language and the lists as lines, translated
into the service's input (``ncert.services.advisories.AdvisoryInput``), which checks every value."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ncert import i18n
from ncert.console.forms import TEXT, FlaskForm, options
from ncert.services.advisories import INITIAL_SUMMARY, LANGUAGES, REASON_MAX, SEVERITIES

LANGUAGE_NAMES = {"az": _l("Azerbaijani"), "en": _l("English"), "ru": _l("Russian")}


class AdvisoryForm(FlaskForm):
    severity = SelectField(_l("Severity"), default="medium", choices=options(
        *((s, LazyString(i18n.option_label, "advisory_severity", s)) for s in SEVERITIES)))
    products = TextAreaField(_l("Affected products"), [Length(max=50_000)], **TEXT,
                             description=_l("One per line: a name, then optionally | and a CPE 2.3 name "
                                         "(cpe:2.3:a:vendor:product:version:*:*:*:*:*:*:*)"))
    cves = TextAreaField(_l("CVEs"), [Length(max=20_000)], **TEXT,
                         description=_l("CVE ids, separated by spaces or commas"))
    indicators = TextAreaField(_l("Indicators safe to publish"), [Length(max=200_000)], **TEXT,
                               description=_l("One per line: type and value, e.g. ipv4-addr 198.51.100.23"))
    references = TextAreaField(_l("References"), [Length(max=50_000)], **TEXT,
                               description=_l("One per line: a URL, then a space and its summary"))
    change_summary = StringField(_l("What this revision changes (shown in the revision history)"), [Length(max=300)],
                                 **TEXT)
    sources = HiddenField()  # incident references a new advisory is drafted from


for _lang in LANGUAGES:
    _name = LANGUAGE_NAMES[_lang]
    setattr(AdvisoryForm, f"title_{_lang}", StringField(_l("Title (%(language)s)", language=_name), [Length(max=300)],
                                                        **TEXT))
    setattr(AdvisoryForm, f"summary_{_lang}", TextAreaField(_l("Summary (%(language)s)", language=_name),
                                                            [Length(max=20_000)], **TEXT))
    setattr(AdvisoryForm, f"actions_{_lang}", TextAreaField(_l("Recommended actions (%(language)s)", language=_name),
                                                            [Length(max=20_000)], **TEXT))


class RevisionForm(FlaskForm):
    """Submit, approve or publish one revision (its number, so a stale page acts on nothing)."""

    number = IntegerField()


class WithdrawForm(FlaskForm):
    """Withdraw a published advisory: why (public)."""

    reason = TextAreaField(_l("Why it is withdrawn (shown on the public page and in the CSAF document)"),
                           [Length(max=REASON_MAX)], **TEXT)


def fields(form: AdvisoryForm) -> dict:
    """The form as the service's input; a language is given when its title or summary is."""
    texts = {lang: {part: form[f"{part}_{lang}"].data for part in ("title", "summary", "actions")}
             for lang in LANGUAGES if form[f"title_{lang}"].data or form[f"summary_{lang}"].data}
    products = []
    for line in _lines(form.products.data):
        name, _, cpe = line.partition("|")
        products.append({"name": name.strip(), "cpe": cpe.strip() or None})
    return {
        "texts": texts, "severity": form.severity.data, "products": products,
        "cves": form.cves.data.replace(",", " ").split(),
        "indicators": [dict(zip(("type", "value"), line.split(None, 1), strict=False)) for line in
                       _lines(form.indicators.data)],
        "references": [dict(zip(("url", "summary"), line.split(None, 1), strict=False)) for line in
                       _lines(form.references.data)],
        "change_summary": form.change_summary.data or INITIAL_SUMMARY,
    }


def data_of(content: dict) -> dict:
    """A revision's (or a prefill's) content as the form's data."""
    data = {"severity": content.get("severity", "medium"), "change_summary": "",
            "products": "\n".join(p["name"] + (f" | {p['cpe']}" if p.get("cpe") else "")
                                  for p in content.get("products", [])),
            "cves": " ".join(content.get("cves", [])),
            "indicators": "\n".join(f"{i['type']} {i['value']}" for i in content.get("indicators", [])),
            "references": "\n".join(f"{r['url']} {r['summary']}" for r in content.get("references", []))}
    for lang, text in content.get("texts", {}).items():
        data |= {f"{part}_{lang}": text.get(part, "") for part in ("title", "summary", "actions")}
    return data


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
