"""Validation of stored reporting regimes: the text form's line-aware errors,
field-named errors, and the built-in names that cannot be redefined."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ncert import clocks
from ncert.errors import Conflict, Forbidden, Invalid
from ncert.services import regimes


def test_a_stage_line_reads_offset_anchor_and_warning():
    assert regimes.parse_stages("# national rule\n\nfinal 1 months after previous warn 5 days  # note\n") == [
        {"name": "final", "amount": 1, "unit": "months", "anchor": "previous", "warn_minutes": 5 * 24 * 60}]
    assert regimes.parse_stages("first 4 hours") == [
        {"name": "first", "amount": 4, "unit": "hours", "anchor": "awareness", "warn_minutes": 6 * 60}]


def test_every_bad_line_is_named():
    with pytest.raises(Invalid) as caught:
        regimes.parse_stages("first 4 hours\nsecond 4 weeks\nthird four hours\nfourth 1 days after lunch\nfifth")
    assert [e["field"] for e in caught.value.errors] == ["stages line 2", "stages line 3", "stages line 4",
                                                         "stages line 5"]
    assert "stages line 2: unit 'weeks' is not hours, days or months" in caught.value.detail
    assert "stages line 3: amount 'four' is not a whole number" in caught.value.detail
    assert "stages line 4: after 'lunch': expected awareness or previous" in caught.value.detail


def test_built_in_regimes_round_trip_through_the_text_form():
    for regime in clocks.REGIMES.values():
        stages = regimes.parse_stages(regimes.format_stages(regime))
        assert regimes.validate("copy", regime.title, regime.repeat, stages).stages == regime.stages


@pytest.mark.parametrize(("name", "stages", "field", "message"), [
    ("nis2", [], "name", "nis2 is a built-in regime"),
    ("Central Bank", [], "name", "lower-case letters"),
    ("ok", [], "stages", "at least one stage"),
    ("ok", [{"name": "a", "amount": 0, "unit": "hours", "anchor": "awareness", "warn_minutes": 0}],
     "stages[1].amount", "a whole number from 1"),
    ("ok", [{"name": "a", "amount": 1, "unit": "weeks", "anchor": "awareness", "warn_minutes": 0}],
     "stages[1].unit", "hours, days or months"),
    ("ok", [{"name": "a", "amount": 1, "unit": "hours", "anchor": "awareness", "warn_minutes": 0}] * 2,
     "stages[2].name", "a appears twice"),
    ("ok", [{"name": "a#2", "amount": 1, "unit": "hours", "anchor": "awareness", "warn_minutes": 0}],
     "stages[1].name", "lower-case letters"),
])
def test_invalid_input_names_the_field(name, stages, field, message):
    with pytest.raises(Invalid) as caught:
        regimes.validate(name, "A title", False, stages)
    assert caught.value.status == 422
    assert any(e["field"] == field and message in e["message"] for e in caught.value.errors), caught.value.errors


def test_a_valid_regime_becomes_a_clocks_regime():
    stages = regimes.parse_stages("initial 4 hours warn 30 minutes")
    regime = regimes.validate("central-bank-4h", " Central bank ", False, stages)
    assert regime == clocks.Regime("central-bank-4h", "Central bank",
                                   (clocks.Stage("initial", clocks.hours(4), warn_before=timedelta(minutes=30)),))


def test_only_admins_store_and_names_are_unique(world, session):
    stages = regimes.parse_stages("initial 4 hours")
    with pytest.raises(Forbidden):
        regimes.save(session, world.operator, name="x", title="X", repeat=False, stages=stages, new=True)
    regimes.save(session, world.admin, name="x", title="X", repeat=False, stages=stages, new=True)
    with pytest.raises(Conflict):
        regimes.save(session, world.admin, name="x", title="X", repeat=False, stages=stages, new=True)
    with pytest.raises(Invalid, match="unknown regime 'nope'"):
        regimes.assign(session, world.admin, "finance", "nope")
    regimes.assign(session, world.admin, "finance", "x")
    assert regimes.regime_for(session, "finance").name == "x"
    assert regimes.regime_for(session, "energy") is clocks.NIS2
    assert regimes.regime_for(session, "trust-services") is clocks.NIS2_TRUST_SERVICE
