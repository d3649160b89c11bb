"""``ncert.timeline_text``: a system-written timeline entry's message renders in English exactly as the
text the code wrote before messages existed (the stored body), in Azerbaijani and Russian through the
catalogues and the vocabularies, and an entry whose message cannot be rendered shows its body."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

from ncert import scoring
from ncert.i18n import N_
from ncert.services import assessments
from ncert.timeline_text import english, joined, message, num, render, text_of, utc, vocab, vocab_term
from tests.test_packaging import ROOT


def test_english_is_the_text_as_written_before():
    due = datetime(2026, 11, 28, 14, 5, tzinfo=timezone.utc)
    assert english(message(N_("Request “%(title)s” to %(org)s is overdue (due %(due)s)"), title="Logs",
                           org="GridCo", due=utc(due))) == f"Request “Logs” to GridCo is overdue (due {due:%Y-%m-%d %H:%M} UTC)"
    assert english(message(N_("Evidence attached: %(filename)s (%(size)s bytes)"), filename="a.pcap",
                           size=num(1234567))) == f"Evidence attached: a.pcap ({1234567:,} bytes)"
    changes = joined([message(N_("Status %(old)s → %(new)s"), old=vocab("status", "new"), new=vocab("status", "triaged")),
                      message(N_("Category %(old)s → %(new)s"), old=vocab("category", "other/undetermined"),
                              new=vocab("category", "fraud/phishing"))])
    assert english(message(N_("%(changes)s. Reason: %(reason)s"), changes=changes, reason="by phone")) == (
        "Status new → triaged; Category other/undetermined → fraud/phishing. Reason: by phone")


def test_each_kind_of_argument_in_azerbaijani_and_russian():
    assert render(vocab("severity", 4), "az") == "4 (Ciddi)"
    assert render(vocab("category", "fraud/phishing"), "ru") == "Мошенничество / Фишинг"
    assert render(vocab("status", "closed"), "az") == "bağlanıb"
    assert render(vocab_term("severity", 3), "en") == "High"  # a term reads as a term in English too
    assert render(num(1234.5), "ru") == "1\xa0234,5"
    assert render(utc(datetime(2026, 11, 28, 14, 5, tzinfo=timezone.utc)), "az") == "28 noy 2026 14:05 UTC"
    assert render(message(N_("Team → %(team)s"), team="ot-desk"), "az") == "Komanda → ot-desk"  # data as written
    assert render(message("A text nobody marked"), "az") == "A text nobody marked"


def test_an_entry_without_a_message_or_with_one_it_cannot_render_shows_its_body():
    comment = SimpleNamespace(id=1, body="Called the operator.", message=None)
    assert text_of(comment, "az") == "Called the operator."
    stale = SimpleNamespace(id=2, body="Status new → triaged", message={"id": "Status %(old)s → %(new)s", "args": {}})
    assert text_of(stale, "ru") == "Status new → triaged"
    odd = SimpleNamespace(id=3, body="as stored", message={"what": "is this"})
    assert text_of(odd, "az") == "as stored"


def test_every_override_and_flag_scoring_writes_is_marked_for_the_timeline():
    source = (ROOT / "ncert" / "scoring.py").read_text(encoding="utf-8")
    said = set(re.findall(r'(?:overrides|flags)\.append\("([^"]+)"\)', source)) | {scoring.LARGE_SCALE_CANDIDATE}
    said |= {scoring.eu_colour(level) for level in range(6)}
    assert said and said <= set(assessments._SCORING_TEXTS)
