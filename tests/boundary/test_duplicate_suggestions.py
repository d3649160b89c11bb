"""Likely-duplicate suggestions are derived data: a hidden report that shares the prober's
indicator, or comes from the same reporter as the incident looked at, is never suggested or counted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from ncert.db import transaction, utcnow
from ncert.models import Incident
from tests.differential import Differential

PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


def _suggestions(page: str) -> str:
    found = re.search(r'<section class="panel likely-duplicates">.*?</section>', page, re.S)
    return found.group(0) if found else ""


def test_the_same_values_suggest_each_other_within_72_hours(api, as_user):
    mine = api.submit("gridco", title="Beaconing", tlp="TLP:GREEN",
                      indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])["reference"]
    green = api.submit("powergen", title="Scan", tlp="TLP:GREEN",
                       indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])["reference"]
    again = api.submit("gridco", title="Beaconing again", tlp="TLP:AMBER")["reference"]
    panel = _suggestions(as_user("analyst@gridco.test").text(f"/incidents/{mine}"))
    assert green in panel and again in panel and "shared indicator" in panel
    assert "same reporter, similar title" in panel
    unrelated = api.submit("gridco", title="Completely different matter", tlp="TLP:GREEN")["reference"]
    assert _suggestions(as_user("operator@ncert.test").text(f"/incidents/{unrelated}")) == ""


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_is_never_suggested(api, as_user, label):
    api.submit("powergen", title="Beaconing from a workstation", tlp=label,
               indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])
    analyst = as_user("analyst@gridco.test")

    def fetch(value: str) -> str:
        ref = api.submit("gridco", title=f"Beaconing {value}", tlp="TLP:GREEN",
                         indicators=[{"type": "ipv4-addr", "value": value}])["reference"]
        page = analyst.text(f"/incidents/{ref}")
        # Out of the window of the next probe, which would otherwise find this one by its title.
        with transaction(api.world.runtime.sessions) as s:
            s.execute(update(Incident).where(Incident.reference == ref)
                      .values(reported_at=utcnow() - timedelta(days=10)))
        return page[page.index("<main"):]

    PROBE.assert_same(fetch)
    # National staff see the hidden one suggested: the probe was a real candidate.
    ref = api.submit("gridco", title="Beaconing once more", tlp="TLP:GREEN",
                     indicators=[{"type": "ipv4-addr", "value": PROBE.secret}])["reference"]
    assert "shared indicator" in _suggestions(as_user("operator@ncert.test").text(f"/incidents/{ref}"))
