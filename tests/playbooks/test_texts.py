"""Playbook texts given as one string or one per language (issue 14): the loader checks a mapping's
language codes at their line, ``Text.in_language`` picks the reader's version with its fallbacks,
and the shipped library gives every text people read in Azerbaijani, English and Russian."""

from __future__ import annotations

import pytest

from playbooks.loader import PlaybookError, load_library, parse_playbook
from playbooks.schema import OpenNationalIncident
from playbooks.texts import Text
from tests.test_packaging import ROOT

BOOK = """name: texts
version: 1
description: d
triggers: [incident.created]
actions:
  - type: add_tasks
    tasks:
{tasks}
"""


def test_a_playbook_text_is_a_string_or_one_per_language():
    book = parse_playbook(BOOK.format(tasks='      - plain\n      - {az: "Yoxlayın", en: "Check", ru: "Проверить"}'))
    plain, versions = book.actions[0].titles
    assert plain == "plain" and not isinstance(plain, Text)
    assert versions == "Check" and versions.in_language("ru", "az") == "Проверить"
    only_az = parse_playbook(BOOK.format(tasks="      - {az: Yoxlayın}")).actions[0].titles[0]
    assert only_az == "Yoxlayın" and only_az.in_language("ru", "en") == "Yoxlayın"  # any, when nothing else
    no_ru = parse_playbook(BOOK.format(tasks="      - {az: Yoxlayın, en: Check}")).actions[0].titles[0]
    assert no_ru.in_language("ru", "az") == "Yoxlayın" and no_ru.in_language("ru", "en") == "Check"


@pytest.mark.parametrize(("tasks", "line", "message"), [
    ("      - {az: a, fr: b}", 8, "actions[0].tasks[0].fr: unknown language 'fr'; expected one of az, en, ru"),
    ("      - {}", 8, "actions[0].tasks[0]: expected a text or one text per language (az, en, ru), got an empty"),
    ("      - az: a\n        ru: ''", 9, "actions[0].tasks[0].ru: expected non-empty text"),
])
def test_a_bad_mapping_of_texts_is_refused_at_its_line(tasks, line, message):
    with pytest.raises(PlaybookError) as refused:
        parse_playbook(BOOK.format(tasks=tasks), "books/texts.yaml")
    assert refused.value.line == line and refused.value.what.startswith(message), str(refused.value)


def test_the_shipped_library_gives_every_text_people_read_in_az_en_and_ru():
    texts = []
    for book in load_library(ROOT / "playbooks" / "library"):
        for action in book.actions:
            texts += [*getattr(action, "titles", ())]
            texts += [t for name in ("title", "text", "subject", "template") if (t := getattr(action, name, None))
                      and not isinstance(action, OpenNationalIncident)]
    assert len(texts) > 30
    assert all(isinstance(t, Text) and set(t.versions) == {"az", "en", "ru"} for t in texts), \
        [str(t) for t in texts if not isinstance(t, Text) or set(t.versions) != {"az", "en", "ru"}]
