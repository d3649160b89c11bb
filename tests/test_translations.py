"""The catalogues follow the code (issue 14): every message the console's templates and views mark is
translated in each language, none is left over from text the code no longer has, none is fuzzy or
empty, each keeps its placeholders, and the shipped .mo says what its .po says. The controlled
vocabularies (``ncert/vocabulary``) have a term in every language for every key the code knows."""

from __future__ import annotations

import json
import re
import typing
from functools import cache
from io import BytesIO

import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from ncert import clocks, i18n, scoring
from ncert.services import advisories, kpi, rfis, risk_records
from ncert.taxonomy import RSIT, SEVERITY_LEVELS, TLP, OrgKind, Role, Status
from tests.test_packaging import ROOT

TRANSLATED = [code for code in i18n.LOCALES if code != i18n.SOURCE_LOCALE]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


@cache
def source_messages() -> frozenset:
    """Every message id in the source, extracted as ``pybabel extract -F babel.cfg -k _l -k lazy_gettext``."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map, KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    found.discard("")
    return frozenset(found)


def catalogue(lang: str) -> Catalog:
    with open(i18n.TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=lang)


def test_the_extraction_finds_the_console():
    found = source_messages()
    assert len(found) > 500
    assert {"Triage queue", "Sign in", "Signed out.", "%(reference)s submitted to the national queue.",
            "Please sign in to continue.", "lower-case letters, digits and hyphens only",
            ("%(count)s task", "%(count)s tasks")} <= found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_none_is_stale(lang):
    cat = catalogue(lang)
    ids = {m.id for m in cat if m.id}
    missing = source_messages() - ids
    stale = ids - source_messages()
    assert not missing, f"{lang}: {len(missing)} messages have no translation: {sorted(map(str, missing))[:20]}"
    assert not stale, f"{lang}: {len(stale)} translations are of text the code no longer has: {sorted(map(str, stale))[:20]}"
    assert not cat.obsolete, f"{lang}: obsolete entries {list(cat.obsolete)[:20]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_translation_is_fuzzy_empty_or_broken(lang):
    cat = catalogue(lang)
    assert not cat.fuzzy
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    empty = [m.id for m in cat if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])]
    broken = [(m.id, [str(e) for e in errors]) for m, errors in cat.check()]  # placeholders and plural forms
    assert (fuzzy, empty, broken) == ([], [], [])


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_shipped_mo_is_compiled_from_the_po(lang):
    """``make translations`` compiles the .mo the wheel ships; a .po edited without it fails here."""
    cat = catalogue(lang)
    with open(i18n.TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        shipped = read_mo(mo)
    compiled = BytesIO()
    write_mo(compiled, cat)
    compiled.seek(0)
    fresh = read_mo(compiled)
    assert messages(shipped) == messages(fresh)


def messages(cat: Catalog) -> dict:
    def hashable(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {hashable(m.id): hashable(m.string) for m in cat if m.id}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_are_not_copies_of_the_english(lang):
    """Codes, formats and product names may stay as they are (TLP, CSV, e.g. placeholders); sentences may not."""
    cat = catalogue(lang)
    copied = [m.id for m in cat if isinstance(m.id, str) and m.id == m.string and len(m.id.split()) > 3]
    assert copied == []


# -- controlled vocabularies -------------------------------------------------------------------------------------

def vocabulary_keys() -> dict[str, set[str]]:
    """Every key each vocabulary must have a term for, read from the code and the shipped sector registry."""
    registry = yaml.safe_load((ROOT / "sector_certs" / "registry.yaml").read_text(encoding="utf-8"))
    return {
        "rsit_class": set(RSIT),
        "rsit_type": {t for types in RSIT.values() for t in types},
        "tlp": {t.value for t in TLP},
        "severity": {str(level) for level in SEVERITY_LEVELS},
        "nis2_stage": {s.name for r in clocks.REGIMES.values() for s in r.stages},
        "status": {s.value for s in Status},
        "task_status": {"open", "done", "cancelled"},
        "role": {r.value for r in Role},
        "org_kind": {k.value for k in OrgKind},
        "sector": {s["slug"] for s in registry["sectors"]},
        "timeline_kind": timeline_kinds() | {"misp-delete", "misp-publish"},
        "advisory_severity": set(advisories.SEVERITIES),
        "advisory_status": set(advisories.STATUSES),
        "risk_status": set(risk_records.STATUSES),
        "risk_strategy": set(risk_records.STRATEGIES),
        "action_status": set(risk_records.ACTION_STATUSES),
        "assessment_factor": set(scoring.FACTORS),
        "assessment_answer": {answer for scale in scoring.SCALES.values() for answer in scale} | set(scoring.OUTLOOKS),
        "rfi_state": set(rfis.STATES),
        "regime": set(clocks.REGIMES),
        "kpi_target_source": set(typing.get_args(typing.get_type_hints(kpi.Target)["source"])),
    }


def timeline_kinds() -> set[str]:
    """The kinds of timeline entry the code writes: ``_log(session, actor, incident, "kind", …)``,
    ``incidents.note(session, actor, incident, "kind", …)``, ``incidents.Change(incident, "kind", …)``
    (``incidents.log_many``) and a module's ``KIND = "kind"``."""
    patterns = (re.compile(r'\b_log\(\s*session,\s*actor,\s*\w+,\s*"([a-z-]+)"'),
                re.compile(r'\bnote\(\s*\w+,\s*[\w.]+,\s*[^,]+?,\s*"([a-z-]+)"', re.S),
                re.compile(r'\bChange\(\s*\w+,\s*"([a-z-]+)"'),
                re.compile(r'^KIND = "([a-z-]+)"', re.M))
    found = set()
    for package in ("ncert", "detection", "playbooks"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            found.update(kind for pattern in patterns for kind in pattern.findall(text))
    assert {"created", "status", "comment", "rfi", "task", "triage", "playbook", "category-suggestion"} <= found
    return found


@pytest.mark.parametrize("lang", i18n.LOCALES)
def test_every_vocabulary_has_a_term_for_every_key(lang):
    terms = json.loads((i18n.VOCABULARY / f"{lang}.json").read_text(encoding="utf-8"))
    wanted = vocabulary_keys()
    assert set(terms) == set(wanted)
    for name, keys in wanted.items():
        assert set(terms[name]) == keys, (lang, name, keys ^ set(terms[name]))
        assert all(isinstance(t, str) and t.strip() for t in terms[name].values()), (lang, name)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_vocabulary_terms_are_translated(lang):
    english = json.loads((i18n.VOCABULARY / "en.json").read_text(encoding="utf-8"))
    terms = json.loads((i18n.VOCABULARY / f"{lang}.json").read_text(encoding="utf-8"))
    same = [(name, key) for name, entries in english.items() for key, label in entries.items()
            if terms[name][key] == label and len(label) > 4 and "(" not in label]
    assert same == []


def test_term_looks_up_the_language_and_falls_back():
    assert i18n.term("severity", 5, "az") == "Fövqəladə"
    assert i18n.term("severity", 5, "ru") == "Чрезвычайный"
    assert i18n.term("severity", 5, "en") == "Emergency"
    assert i18n.term("rsit_class", "vulnerable", "az") == "Zəiflik"
    assert i18n.term("tlp", "TLP:RED", "ru").startswith("Только для конкретных получателей")
    assert i18n.term("sector", "some-new-sector", "az") == "some-new-sector"  # not in any vocabulary: the key


def test_wtforms_own_messages_have_an_azerbaijani_catalogue():
    """WTForms ships Russian but not Azerbaijani: ncert's ``wtforms`` catalogue covers every message of the
    installed WTForms, and its .mo is compiled from it."""
    from wtforms.i18n import messages_path

    with open(f"{messages_path()}/wtforms.pot", "rb") as pot:
        wanted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(pot) if m.id}
    folder = i18n.TRANSLATIONS / "az" / "LC_MESSAGES"
    with open(folder / "wtforms.po", "rb") as po:
        cat = read_po(po, locale="az")
    assert {m.id for m in cat if m.id} == wanted
    assert not cat.fuzzy and all(m.string and not m.fuzzy for m in cat if m.id) and not list(cat.check())
    with open(folder / "wtforms.mo", "rb") as mo:
        shipped = read_mo(mo)
    compiled = BytesIO()
    write_mo(compiled, cat)
    compiled.seek(0)
    assert messages(shipped) == messages(read_mo(compiled))
