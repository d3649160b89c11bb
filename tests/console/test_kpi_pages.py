"""KPI cards in the console: the cards each viewer may read (``/kpi``), one card with
each figure's value, previous value, target and status, its responsible person and
reviews (``/kpi/<slug>``), the quarter picker and custom range, and leadership's
review and sign-off; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ncert import periods
from ncert.db import transaction
from ncert.services import kpi
from tests.console.helpers import flashes, html
from tests.console.issue10_helpers import add_cert_analyst, without_picker
from tests.differential import Differential
from tests.services.kpi_helpers import Q3, place, report

LEADER, OPERATOR, GRIDCO = "leader@ncert.test", "operator@ncert.test", "analyst@gridco.test"
Q2 = Q3 - timedelta(days=91)
Q3_PERIOD = periods.quarter(2026, 3)


def figure(page: str, key: str) -> dict[str, str]:
    """One figure's row: value, previous, target and status, as the page writes them."""
    row = re.search(rf'<tr id="figure-{key}">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return dict(zip(("label", "value", "previous", "target", "status", "count"), cells))


def org_links(page: str) -> list[str]:
    table = page[page.index('id="org-cards"'):] if 'id="org-cards"' in page else ""
    return re.findall(r'<a href="/kpi/([\w-]+)\?', table)


def sector_counts(page: str) -> dict[str, tuple[str, str]]:
    """The sectors listed on /kpi with their incidents in the period and the previous one."""
    table = page[page.index('id="sector-cards"'):page.index('id="org-cards"')]
    rows = re.findall(r'<a href="/kpi/([\w-]+)\?[^"]*">[^<]*</a></td><td class="mono">(\d+)</td>'
                      r'<td class="mono muted">(\d+)</td>', table)
    return {slug: (now, before) for slug, now, before in rows}


@pytest.fixture
def quarters(world) -> None:
    """GridCo: five incidents in 2026Q3 acknowledged within 30 minutes, two in 2026Q2 (one
    acknowledged after 6 hours); PowerGen one of its own (TLP:AMBER) in 2026Q3."""
    for day in range(5):
        ref = report(world, GRIDCO, reported=Q3 + timedelta(days=day + 1), tlp="TLP:GREEN", severity=2)
        place(world, ref, acknowledged_at=Q3 + timedelta(days=day + 1, minutes=30))
    for day, ack in ((1, timedelta(hours=6)), (2, timedelta(hours=6))):
        ref = report(world, GRIDCO, reported=Q2 + timedelta(days=day), tlp="TLP:GREEN")
        place(world, ref, acknowledged_at=Q2 + timedelta(days=day) + ack)
    report(world, "analyst@powergen.test", reported=Q3 + timedelta(days=3), tlp="TLP:AMBER", severity=4)


def test_each_figure_shows_value_previous_value_target_and_status(world, quarters, as_user):
    page = html(as_user(LEADER).get("/kpi/gridco?period=2026Q3"))
    assert figure(page, "incidents")["value"] == "5" and figure(page, "incidents")["previous"] == "2"
    ack = figure(page, "time_to_acknowledge_median")
    assert (ack["value"], ack["status"]) == ("30m", "green")
    assert ack["target"].startswith("1h 0m (amber 4h 0m, default)")
    assert figure(page, "severity_2")["value"] == "5"
    assert "<th>2026Q2</th>" in page  # the previous period heads its column
    with transaction(world.runtime.sessions) as s:
        kpi.set_target(s, world.actor(LEADER), "time_to_acknowledge_median", 600, 1200, org_slug="gridco")
    ack = figure(html(as_user(LEADER).get("/kpi/gridco?period=2026Q3")), "time_to_acknowledge_median")
    assert ack["status"] == "red" and "organization" in ack["target"]


def test_the_card_names_its_responsible_person(world, as_user):
    page = html(as_user(GRIDCO).get("/kpi/gridco"))
    assert "No responsible person named yet." in page
    with transaction(world.runtime.sessions) as s:
        kpi.set_responsible(s, world.actor(LEADER), "gridco", name="Ana Deputy", position="Deputy Director",
                            email="ana@gridco.test")
    page = html(as_user(GRIDCO).get("/kpi/gridco"))
    assert "<strong>Ana Deputy</strong>, Deputy Director" in page


def test_the_quarter_picker_and_a_custom_range(world, quarters, as_user):
    leader = as_user(LEADER)
    page = html(leader.get("/kpi/gridco?from=2026-07-01&to=2026-07-03"))
    assert "2026-07-01..2026-07-03" in page
    assert figure(page, "incidents")["value"] == "2"  # reported on 2 and 3 July
    assert figure(page, "incidents")["previous"] == "0"  # 28-30 June
    both = html(leader.get("/kpi/gridco?period=2026Q3&from=2026-07-01&to=2026-07-03"))
    assert figure(both, "incidents")["value"] == "2"  # dates typed in win over the picked quarter
    assert '<option value="2026Q3" selected>' in html(leader.get("/kpi/gridco?period=2026Q3"))
    for bad in ("period=2026Q5", "from=2026-07-01", "from=2026-07-09&to=2026-07-01", "from=yesterday&to=today"):
        response = leader.get(f"/kpi/gridco?{bad}")
        assert response.status_code == 400, bad


def test_who_reads_which_card(world, quarters, as_user):
    everyone = as_user(LEADER).text("/kpi?period=2026Q3")
    assert {"gridco", "powergen", "centralbank", "cityhospital"} <= set(org_links(everyone))
    assert 'id="sector-cards"' in everyone
    gridco = as_user(GRIDCO)
    assert org_links(gridco.text("/kpi")) == ["gridco"] and 'id="sector-cards"' not in gridco.text("/kpi")
    assert gridco.get("/kpi/gridco").status_code == 200
    for hidden in ("/kpi/powergen", "/kpi/energy?kind=sector", "/kpi/energy", "/kpi/nowhere"):
        assert gridco.get(hidden).status_code == 404, hidden
    cert = as_user(add_cert_analyst(world))
    assert sorted(org_links(cert.text("/kpi"))) == ["energy-cert", "gridco", "powergen"]
    assert cert.get("/kpi/powergen").status_code == 200 and cert.get("/kpi/energy").status_code == 200
    assert cert.get("/kpi/centralbank").status_code == 404 and cert.get("/kpi/finance").status_code == 404
    # The CERT counts only what it may see: PowerGen's TLP:AMBER report is not on its cards.
    assert sector_counts(cert.text("/kpi?period=2026Q3")) == {"energy": ("5", "2")}
    assert sector_counts(everyone)["energy"] == ("6", "2")
    assert figure(html(cert.get("/kpi/powergen?period=2026Q3")), "incidents")["value"] == "0"
    assert figure(html(as_user(LEADER).get("/kpi/powergen?period=2026Q3")), "incidents")["value"] == "1"


def test_leadership_drafts_a_review_signs_it_off_and_it_becomes_read_only(world, quarters, as_user):
    leader = as_user(LEADER)
    card = "/kpi/gridco?period=2026Q3"
    draft = leader.post("/kpi/gridco/review?kind=organization", {"period": "2026Q3", "comments": "Slow start"},
                        form_page=card, follow_redirects=True)
    assert ("success", "The 2026Q3 review of GridCo Transmission is saved as a draft.") in flashes(draft)
    assert "Slow start" in html(draft) and 'id="review-form"' in html(draft)
    signed = leader.post("/kpi/gridco/review?kind=organization",
                         {"period": "2026Q3", "comments": "Good quarter", "sign_off": "y"}, form_page=card,
                         follow_redirects=True)
    page = html(signed)
    assert ("success", "The 2026Q3 review of GridCo Transmission is signed off.") in flashes(signed)
    assert 'id="review-form"' not in page and "Signed off by leader@ncert.test" in page
    history = page[page.index('id="history"'):]
    assert "2026Q3" in history and "Good quarter" in history
    again = leader.post("/kpi/gridco/review?kind=organization", {"period": "2026Q3", "comments": "Changed"},
                        form_page="/kpi/gridco?period=2026Q2", follow_redirects=True)
    assert any(kind == "error" and "read-only" in text for kind, text in flashes(again))
    with world.runtime.sessions() as s:
        assert kpi.organization_card(s, world.actor(LEADER), "gridco", Q3_PERIOD).review.comments == "Good quarter"
    assert "Good quarter" in html(as_user(GRIDCO).get("/kpi/gridco?period=2026Q3"))  # the card's own reader too


def test_only_leadership_and_admins_review(world, quarters, as_user):
    for who in (OPERATOR, GRIDCO):
        reader = as_user(who)
        page = reader.text("/kpi/gridco?period=2026Q3")
        assert 'id="review-form"' not in page
        response = reader.post("/kpi/gridco/review", {"period": "2026Q3", "comments": "Mine"}, follow_redirects=True)
        assert any(kind == "error" and "only leadership and admins" in text for kind, text in flashes(response))
    assert as_user(GRIDCO).post("/kpi/powergen/review", {"period": "2026Q3"}).status_code == 404
    with world.runtime.sessions() as s:
        assert kpi.organization_card(s, world.actor(LEADER), "gridco", Q3_PERIOD).review is None
    assert 'id="review-form"' in as_user("admin@ncert.test").text("/kpi/gridco?period=2026Q3")
    assert 'id="review-form"' not in as_user(LEADER).text("/kpi/gridco?from=2026-07-01&to=2026-07-31")


def test_a_card_page_does_not_depend_on_a_report_its_reader_cannot_see(world, as_user):
    """GridCo's own card and the energy CERT's cards read the same whether PowerGen's hidden
    report (TLP:AMBER, critical, acknowledged late) exists in the quarter or not."""
    probe = Differential(secret="2026Q2", control="2025Q2")
    starts = {probe.secret: Q2, probe.control: Q2 - timedelta(days=365)}
    cert = as_user(add_cert_analyst(world))
    gridco = as_user(GRIDCO)

    def view(label: str) -> str:
        start = starts[label]
        if label == probe.secret:
            hidden = report(world, "analyst@powergen.test", reported=start + timedelta(days=3), tlp="TLP:AMBER",
                            severity=5)
            place(world, hidden, acknowledged_at=start + timedelta(days=9))
        own = report(world, GRIDCO, reported=start + timedelta(days=4), tlp="TLP:GREEN", severity=3)
        place(world, own, acknowledged_at=start + timedelta(days=4, hours=1))
        previous = "2026Q1" if label == probe.secret else "2025Q1"
        pages = [gridco.text(f"/kpi/gridco?period={label}"), cert.text(f"/kpi/gridco?period={label}"),
                 cert.text(f"/kpi/powergen?period={label}"), cert.text(f"/kpi/energy?period={label}"),
                 cert.text(f"/kpi?period={label}")]
        return "\n".join(without_picker(p).replace(previous, "<PREVIOUS>") for p in pages)

    probe.assert_same(view)
