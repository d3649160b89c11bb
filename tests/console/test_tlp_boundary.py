"""The TLP boundary through the console: an analyst never sees another
organisation's TLP:AMBER, TLP:AMBER+STRICT or TLP:RED incident, on any page or
through any action; the answer is the same 404 as for a reference that does
not exist."""

from __future__ import annotations

import re

import pytest

from ncert.db import transaction
from ncert.services import incidents
from tests.console.helpers import html, queue_refs, state

HIDDEN_LABELS = ("TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
SHARED_IP = "203.0.113.66"


@pytest.fixture
def hidden(world) -> dict[str, str]:
    """GridCo's incidents under each restrictive label, all carrying the same indicator and a searchable word."""
    gridco = world.actor("analyst@gridco.test")
    return {label: world.submit(gridco, title=f"Zeppelin ransomware ({label})", tlp=label, severity=5,
                                indicators=[{"type": "ipv4-addr", "value": SHARED_IP}])
            for label in HIDDEN_LABELS}


@pytest.fixture
def own(world) -> str:
    """The Central Bank's own incident, carrying the same indicator."""
    return world.submit(world.actor("analyst@centralbank.test"), title="Beacon to known C2", tlp="TLP:AMBER",
                        indicators=[{"type": "ipv4-addr", "value": SHARED_IP}])


@pytest.fixture
def bank(as_user):
    return as_user("analyst@centralbank.test")


@pytest.mark.parametrize("label", HIDDEN_LABELS)
def test_incident_page_is_404_like_a_missing_one(bank, hidden, label):
    response = bank.get(f"/incidents/{hidden[label]}")
    assert response.status_code == 404
    assert html(response).count("Zeppelin") == 0
    missing = bank.get("/incidents/NC-1999-000001")
    assert missing.status_code == 404


def test_never_in_the_queue_nor_in_search(bank, hidden, own):
    assert queue_refs(bank.get("/queue")) == [own]
    for query in ("q=Zeppelin", "q=ransomware", "tlp=TLP:RED", "severity=5", "sector=energy", "status=new"):
        refs = queue_refs(bank.get(f"/queue?{query}"))
        assert not set(refs) & set(hidden.values()), query
    for ref in hidden.values():
        assert queue_refs(bank.get(f"/queue?q={ref}")) == []
    page = html(bank.get("/queue"))
    assert "Zeppelin" not in page and "All <b>1</b>" in page


def test_never_in_shared_indicator_lists(bank, hidden, own, as_user):
    page = html(bank.get(f"/incidents/{own}"))
    assert SHARED_IP in page
    assert not any(ref in page for ref in hidden.values())
    assert ">energy<" not in page
    # The national view of the same page does list them: the indicator really is shared.
    national = html(as_user("operator@ncert.test").get(f"/incidents/{own}"))
    assert all(ref in national for ref in hidden.values())


def test_never_in_the_overview_counts(bank, hidden, own):
    page = html(bank.get("/overview"))
    assert re.search(r'id="kpi-total">1<', page)
    assert re.search(r'id="kpi-open-high">0<', page)  # the hidden ones are all severity 5
    assert "Energy" not in page


@pytest.mark.parametrize("label", HIDDEN_LABELS)
@pytest.mark.parametrize(("action", "data"), [
    ("triage", {"triage-status": "triaged", "triage-tlp": "TLP:CLEAR", "triage-severity": "0"}),
    ("comment", {"comment-body": "what is this?"}),
    ("merge", {"merge-into": "NC-1999-000001"}),
    ("reopen", {"reopen-reason": "peek"}),
])
def test_no_action_reaches_it(bank, world, hidden, label, action, data):
    ref = hidden[label]
    before = state(world.runtime, ref)
    response = bank.post(f"/incidents/{ref}/{action}", data)
    assert response.status_code == 404
    assert "Zeppelin" not in html(response)
    assert state(world.runtime, ref) == before


def test_a_visible_incident_merged_into_a_hidden_one_does_not_reveal_it(bank, world, hidden):
    green = world.submit(world.actor("analyst@gridco.test"), title="Phishing lure", tlp="TLP:GREEN")
    with transaction(world.runtime.sessions) as s:
        incidents.merge(s, world.operator, green, hidden["TLP:RED"])
    page = html(bank.get(f"/incidents/{green}"))
    assert "Merged into" in page and "another incident" in page
    assert hidden["TLP:RED"] not in page


def test_international_partner_sees_clear_only(as_user, world):
    gridco = world.actor("analyst@gridco.test")
    green = world.submit(gridco, title="Phishing lure", tlp="TLP:GREEN")
    clear = world.submit(gridco, title="Public advisory", tlp="TLP:CLEAR")
    partner = as_user("analyst@partner.test")
    assert queue_refs(partner.get("/queue")) == [clear]
    assert partner.get(f"/incidents/{green}").status_code == 404
    assert partner.get(f"/incidents/{clear}").status_code == 200
