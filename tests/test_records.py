"""The normalised intake schema validates once, for every door."""

import pytest
from pydantic import ValidationError

from ncert.records import Category, IncidentPatch, IncidentRecord
from ncert.taxonomy import TLP


def test_defaults_and_normalisation():
    r = IncidentRecord(title="  DDoS on e-services ", tlp="amber+strict", category="availability/ddos",
                       indicators=[{"type": "domain-name", "value": "Portal.Example.gov."}])
    assert r.title == "DDoS on e-services" and r.tlp is TLP.AMBER_STRICT
    assert (r.category.rsit_class, r.category.type) == ("availability", "ddos")
    assert r.indicators[0].value == "portal.example.gov"
    assert IncidentRecord(title="x").tlp is TLP.AMBER


@pytest.mark.parametrize("tlp", ["TLP:WHITE", "white", "TLP:CLEAR", "clear"])
def test_tlp_white_is_clear(tlp):
    assert IncidentRecord(title="x", tlp=tlp).tlp is TLP.CLEAR


@pytest.mark.parametrize("bad", [
    {"title": ""},
    {"title": "x", "tlp": "TLP:PURPLE"},
    {"title": "x", "category": "availability/ransomware"},
    {"title": "x", "category": "availability"},
    {"title": "x", "severity": 6},
    {"title": "x", "surprise": 1},
    {"title": "x", "aware_at": "2026-01-01T00:00:00"},  # naive time: ambiguous
    {"title": "x", "occurred_at": "2026-02-01T00:00:00Z", "aware_at": "2026-01-01T00:00:00Z"},
    {"title": "x", "indicators": [{"type": "ipv4-addr", "value": "not-an-ip"}]},
])
def test_rejects(bad):
    with pytest.raises(ValidationError):
        IncidentRecord(**bad)


def test_category_object_form():
    assert Category.model_validate({"class": "fraud", "type": "phishing"}).type == "phishing"


def test_patch_needs_a_change_and_no_nulls():
    with pytest.raises(ValidationError):
        IncidentPatch(reason="just because")
    with pytest.raises(ValidationError):
        IncidentPatch(severity=None)
    assert IncidentPatch(assignee=None).model_fields_set == {"assignee"}
