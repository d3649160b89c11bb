"""The risk register's console pages: the list with its filters and heat maps,
a risk with its assessment, treatment, history and evidence, the operators'
forms, and who sees what (national staff; the owner organisation for a shared
risk, read-only); on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ncert.db import transaction, utcnow
from ncert.models import Incident, Risk
from ncert.services import risk_evidence, risks
from tests.console.helpers import flashes, html
from tests.console.issue10_helpers import assessment, new_risk
from tests.differential import Differential

LEADER, OPERATOR, GRIDCO = "leader@ncert.test", "operator@ncert.test", "analyst@gridco.test"
LISTED = re.compile(r'<td class="ref"><a href="/risks/(R-\d{4}-\d{4})">')


def listed(page: str) -> list[str]:
    return LISTED.findall(page)


def cell(page: str, kind: str, likelihood: int, impact: int) -> str:
    """The fallback table's text for one heat-map cell, e.g. '1 (high)'."""
    figure = page[page.index(f'id="heatmap-{kind}"'):]
    table = figure[figure.index("<tbody>"):figure.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    row = rows[5 - likelihood]  # highest likelihood first
    cells = re.findall(r"<td>(.*?)</td>", row)
    return re.sub(r"<[^>]+>", "", cells[impact - 1])


@pytest.fixture
def register(world) -> dict[str, str]:
    return {
        "grid": new_risk(world, assessment=assessment(current=(3, 4), residual=(2, 3)), shared_with_owner=True),
        "bank": new_risk(world, title="Payment fraud", owner={"org": "centralbank", "person": "CISO"},
                         sectors=["finance"], threat={"rsit": ["fraud"]},
                         assessment=assessment(current=(4, 4), residual=(2, 2))),
        "draft": new_risk(world, title="Hospital outage", owner={"org": "cityhospital", "person": "CIO"},
                          sectors=["health"]),
    }


def test_the_register_lists_risks_with_heat_maps_counting_each_cell(world, register, as_user):
    page = html(as_user(LEADER).get("/risks"))
    assert listed(page) == [register["grid"], register["bank"], register["draft"]]
    assert cell(page, "current", 3, 4) == "1 (high)" and cell(page, "current", 4, 4) == "1 (high)"
    assert cell(page, "residual", 2, 3) == "1 (medium)" and cell(page, "residual", 2, 2) == "1 (low)"
    assert cell(page, "current", 1, 1) == "0 (low)"
    for kind in ("current", "residual"):  # each chart names itself for screen readers
        assert f'aria-labelledby="heatmap-{kind}-title heatmap-{kind}-desc"' in page
    assert "1 risks of the selection are not assessed yet" in page  # the draft


def test_clicking_a_cell_lists_its_risks(world, register, as_user):
    leader = as_user(LEADER)
    page = html(leader.get("/risks"))
    link = re.search(r'<a href="([^"]*map=current[^"]*l=4[^"]*i=4[^"]*)"><title>', page).group(1)
    assert listed(html(leader.get(link))) == [register["bank"]]
    assert listed(html(leader.get("/risks?map=residual&l=2&i=3"))) == [register["grid"]]
    assert leader.get("/risks?map=inherent&l=2&i=3").status_code == 400
    assert leader.get("/risks?map=current&l=9&i=3").status_code == 400


@pytest.mark.parametrize("query, expected", [
    ("sector=finance", ["bank"]), ("owner=gridco", ["grid"]), ("status=draft", ["draft"]),
    ("status=assessed&sector=energy", ["grid"]), ("owner=centralbank&sector=energy", []),
])
def test_filters_narrow_the_list_and_the_heat_maps(world, register, as_user, query, expected):
    page = html(as_user(LEADER).get(f"/risks?{query}"))
    assert listed(page) == [register[name] for name in expected]
    total = sum(int(n) for n in re.findall(r"<td>(?:<a [^>]*>)?(\d+) \(", page[page.index('id="heatmap-current"'):
                                                                                  page.index('id="heatmap-residual"')]))
    assert total == len([n for n in expected if n != "draft"])


def test_an_unknown_status_filter_is_a_clear_400(world, as_user):
    response = as_user(LEADER).get("/risks?status=pending")
    assert response.status_code == 400 and "status: one of draft" in html(response)


def test_a_risk_shows_its_three_levels_treatment_history_and_a_version_compare(world, register, as_user):
    ref = register["grid"]
    operator = as_user(OPERATOR)
    page = operator.text(f"/risks/{ref}")
    form = re.search(r'<form method="post" action="/risks/[^"]+/treat".*?</form>', page, re.S).group(0)
    response = operator.post(f"/risks/{ref}/treat", {
        "treat-strategy": "accept", "treat-approver": "Head of Energy CERT",
        "treat-expires_on": (utcnow().date() + timedelta(days=200)).isoformat(),
        "treat-actions": "Segment the OT network | CISO | 2027-03-31 | in_progress",
        "treat-reason": "accepted at the board"}, form_page=f"/risks/{ref}")
    assert response.status_code == 302 and "treat-strategy" in form
    page = html(as_user(LEADER).get(f"/risks/{ref}"))
    for level, (li, im, name) in {"inherent": (4, 5, "critical"), "current": (3, 4, "high"),
                                  "residual": (2, 3, "medium")}.items():
        row = re.search(rf'<tr id="assessment-{level}">(.*?)</tr>', page, re.S).group(1)
        assert f"{li} " in row and f"{im} " in row and f"level-{name}" in row and f"{level} rationale" in row
    assert "Strategy: <strong>accept</strong>" in page and "accepted by Head of Energy CERT" in page
    assert "Segment the OT network" in page
    assert "accepted at the board" in page and "created" in page  # both versions, with why
    compared = html(as_user(LEADER).get(f"/risks/{ref}?from=1&to=2"))
    changes = re.search(r'<table class="grid" id="changes">(.*?)</table>', compared, re.S).group(1)
    assert "treatment" in changes and "Head of Energy CERT" in changes
    assert as_user(LEADER).get(f"/risks/{ref}?from=1&to=7").status_code == 404
    assert as_user(LEADER).get(f"/risks/{ref}?from=one&to=2").status_code == 400


def test_leadership_reads_the_register_without_any_form(world, register, as_user):
    leader = as_user(LEADER)
    page = leader.text(f"/risks/{register['grid']}")
    assert 'method="post"' not in page.replace('action="/logout"', "").split("<main")[1]
    assert "New risk" not in leader.text("/risks")
    assert leader.post(f"/risks/{register['grid']}/assess", {}).status_code == 403


def test_an_operator_assesses_through_the_form_and_a_new_version_is_kept(world, register, as_user):
    ref = register["draft"]
    operator = as_user(OPERATOR)
    data = {f"assess-{level}_{part}": value for level, (li, im) in
            {"inherent": (5, 5), "current": (4, 3), "residual": (2, 2)}.items()
            for part, value in (("likelihood", li), ("impact", im), ("rationale", f"{level} because"))}
    response = operator.post(f"/risks/{ref}/assess", {**data, "assess-reason": "first assessment"},
                             form_page=f"/risks/{ref}", follow_redirects=True)
    assert ("success", "Assessment recorded: version 2.") in flashes(response)
    with world.runtime.sessions() as s:
        risk = risks.get(s, world.operator, ref)
        assert (risk.status, risk.current_likelihood, risk.current_impact, risk.version) == ("assessed", 4, 3, 2)
        assert risk.assessment["residual"]["rationale"] == "residual because"


def test_a_rejected_edit_is_flashed_and_writes_nothing(world, register, as_user):
    ref = register["grid"]
    operator = as_user(OPERATOR)
    base = {"edit-title": "Renamed", "edit-owner_org": "gridco", "edit-owner_person": "Deputy Head",
            "edit-sectors": "energy", "edit-threat": "malicious-code", "edit-status": "assessed"}
    no_reason = operator.post(f"/risks/{ref}/edit", base, form_page=f"/risks/{ref}", follow_redirects=True)
    accepted = operator.post(f"/risks/{ref}/edit", {**base, "edit-status": "accepted", "edit-reason": "why"},
                             form_page=f"/risks/{ref}", follow_redirects=True)
    assert any(kind == "error" and "reason" in text for kind, text in flashes(no_reason)), flashes(no_reason)
    assert any(kind == "error" and "'accepted' needs" in text for kind, text in flashes(accepted))
    with world.runtime.sessions() as s:
        risk = risks.get(s, world.operator, ref)
        assert (risk.title, risk.status, risk.version) == ("Ransomware at a grid operator", "assessed", 1)
    renamed = operator.post(f"/risks/{ref}/edit", {**base, "edit-reason": "clearer title"},
                            form_page=f"/risks/{ref}", follow_redirects=True)
    assert ("success", "Saved: version 2.") in flashes(renamed)


def test_an_operator_adds_a_risk_through_the_new_risk_form(world, as_user):
    operator = as_user(OPERATOR)
    response = operator.post("/risks/new", {
        "risk-title": "Water utility OT intrusion", "risk-owner_org": "gridco", "risk-owner_person": "Head of OT",
        "risk-sectors": ["energy", "health"], "risk-threat": "intrusions\nmalicious-code/infected-system",
        "risk-attack": "t1486, T0883", "risk-status": "draft"}, form_page="/risks/new")
    assert response.status_code == 302
    ref = response.headers["Location"].rsplit("/", 1)[1]
    assert ref.startswith("R-"), flashes(operator.get(response.headers["Location"]))
    with world.runtime.sessions() as s:
        snap = risks.snapshot(risks.get(s, world.operator, ref))
    assert snap["sectors"] == ["energy", "health"]
    assert snap["threat"] == {"rsit": ["intrusions", "malicious-code/infected-system"], "attack": ["T1486", "T0883"]}
    bad = operator.post("/risks/new", {"risk-title": "No owner", "risk-owner_person": "X", "risk-status": "draft"},
                        form_page="/risks/new", follow_redirects=True)
    assert any(kind == "error" and "owner" in text for kind, text in flashes(bad))


def test_the_owner_organisation_reads_a_shared_risk_read_only_and_nothing_else(world, register, as_user):
    gridco = as_user(GRIDCO)
    assert listed(gridco.text("/risks")) == [register["grid"]]
    page = gridco.text(f"/risks/{register['grid']}")
    assert "assess-reason" not in page and 'id="evidence"' not in page and "review suggested" not in page
    assert gridco.get(f"/risks/{register['bank']}").status_code == 404
    assert gridco.get(f"/risks/{register['draft']}").status_code == 404
    assert gridco.get("/risks/R-2026-9999").status_code == 404
    assert gridco.post(f"/risks/{register['grid']}/assess", {}).status_code == 403
    assert gridco.post(f"/risks/{register['bank']}/assess", {}).status_code == 404
    powergen = as_user("analyst@powergen.test")
    assert listed(powergen.text("/risks")) == []
    assert powergen.get(f"/risks/{register['grid']}").status_code == 404
    assert "R-2026" not in powergen.text("/risks.csv")


def _reported(world, org: str, category: str, days_ago: int, **fields) -> str:
    ref = world.submit(world.actor(f"analyst@{org}.test"), category=category, **fields)
    with transaction(world.runtime.sessions) as s:
        s.execute(update(Incident).where(Incident.reference == ref)
                  .values(reported_at=utcnow() - timedelta(days=days_ago)))
    return ref


def test_evidence_observed_likelihood_and_the_drift_flag(world, as_user):
    ref = new_risk(world, assessment=assessment(current=(1, 4)), threat={"rsit": ["malicious-code"]},
                   shared_with_owner=True)
    matching = [_reported(world, "gridco", "malicious-code/infected-system", d) for d in (2, 20)]
    _reported(world, "gridco", "fraud/phishing", 3)  # another threat
    leader = as_user(LEADER)
    page = html(leader.get(f"/risks/{ref}"))
    assert re.search(r'id="observed-likelihood">3<', page) and re.search(r'id="assessed-likelihood">1<', page)
    assert re.findall(r'<td class="ref"><a href="/incidents/(NC-[\d-]+)">', page) == matching
    assert 'aria-labelledby="evidence-trend-title evidence-trend-desc"' in page
    assert "review suggested" not in page
    with transaction(world.runtime.sessions) as s:
        assert [r.reference for r in risk_evidence.check_drift(s, world.operator, drift_days=0)] == [ref]
    assert 'id="drift-flag">review suggested' in html(leader.get(f"/risks/{ref}"))
    assert "flag-drift" in html(leader.get("/risks"))
    gridco = as_user(GRIDCO)  # the owner reads the shared risk, not the national signal about it
    assert listed(gridco.text("/risks")) == [ref] and "flag-drift" not in gridco.text("/risks")
    assert "review suggested" not in gridco.text(f"/risks/{ref}")


def test_a_shared_risk_page_does_not_depend_on_a_report_its_owner_cannot_see(world, as_user):
    """The owner organisation's view of a shared risk is the same whether or not a hidden
    report (PowerGen, TLP:AMBER) matching the risk exists."""
    probe = Differential(secret="198.51.100.66", control="198.51.100.67")
    gridco = as_user(GRIDCO)

    def view(value: str) -> str:
        with transaction(world.runtime.sessions) as s:
            s.execute(update(Risk).values(title=f"Grid risk {value}"))  # one risk, renamed per run
        if value == probe.secret:
            _reported(world, "powergen", "malicious-code/infected-system", 5, tlp="TLP:AMBER",
                      indicators=[{"type": "ipv4-addr", "value": value}])
        _reported(world, "gridco", "malicious-code/infected-system", 4, tlp="TLP:AMBER",
                  indicators=[{"type": "ipv4-addr", "value": value}])
        return "\n".join(html(gridco.get(url)) for url in ("/risks", "/risks/" + ref, "/risks.csv"))

    ref = new_risk(world, assessment=assessment(current=(1, 4)), shared_with_owner=True)
    probe.assert_same(view)
    with world.runtime.sessions() as s:
        assert s.scalar(select(Risk.title)) == f"Grid risk {probe.control}"
