"""A playbook's firing note reads in the page's language (issue 14): the note keeps its English body (the
API, exports and search read it) and a message made of the firing's template and one message per action
line, which the console renders line by line in Azerbaijani or Russian."""

from __future__ import annotations

from ncert.timeline_text import text_of
from tests.playbooks.helpers import look, set_entity
from tests.playbooks.test_library import RANSOMWARE

ENGLISH = ("Playbook ransomware-essential-entity v1 (incident.created): severity 3; clock nis2 started (3 deadline(s)); "
           "5 task(s) (checklist Ransomware response); information requested from GridCo Transmission")


def test_a_firing_note_keeps_its_english_body_and_reads_line_by_line_in_each_language(world, library):
    set_entity(world, "gridco", "essential")
    ref = world.submit(world.actor("analyst@gridco.test"), **RANSOMWARE)
    with look(world, ref) as it:
        [note] = it.notes()
    assert note.body == ENGLISH == text_of(note, "en")
    assert note.details["actions"] == ENGLISH.split(": ", 1)[1].split("; ")  # the lines, in English, as before
    assert note.message["id"] == "Playbook %(name)s v%(version)s (%(trigger)s): %(actions)s"
    assert [line["id"] for line in note.message["args"]["actions"]["join"]] == [
        "severity %(level)s", "clock %(regime)s started (%(count)s deadline(s))",
        "%(count)s task(s) (checklist %(checklist)s)", "information requested from %(org)s"]
    assert text_of(note, "az") == (
        "ransomware-essential-entity ssenarisi v1 (incident.created): ciddilik 3 (Yüksək); nis2 son müddətləri "
        "başladıldı (3 son müddət); 5 tapşırıq (Ransomware response yoxlama siyahısı); GridCo Transmission "
        "təşkilatından məlumat sorğulandı")
    assert text_of(note, "ru") == (
        "Плейбук ransomware-essential-entity v1 (incident.created): серьёзность 3 (Высокий); запущен отсчёт сроков "
        "nis2 (сроков: 3); задач: 5 (чек-лист Ransomware response); запрошена информация у GridCo Transmission")
