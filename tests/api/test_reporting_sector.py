"""An organisation reports for its own sector: the REST door refuses any other with
a 422 naming the field and writes nothing; national staff file under any sector,
and an international partner (no sector) names the one it reports about."""

from __future__ import annotations

import pytest

from tests.api.helpers import snapshot


def test_an_organisation_cannot_file_under_another_sector(api, runtime):
    before = snapshot(runtime)
    response = api.post("/incidents", "gridco", {"title": "Scan", "sector": "finance"})
    assert response.status_code == 422
    assert response.json["detail"].startswith("sector: 'gridco' reports for its own sector 'energy', not 'finance'")
    assert [e["loc"] for e in response.json["errors"]] == [["sector"]]
    assert snapshot(runtime) == before


@pytest.mark.parametrize("who, fields, sector", [
    ("gridco", {}, "energy"),
    ("gridco", {"sector": "energy"}, "energy"),
    ("operator", {"reporter_org": "gridco", "sector": "finance"}, "finance"),  # national staff file for any
    ("partner", {"sector": "health"}, "health"),  # named, never counted as a national sector's report
])
def test_own_sector_national_staff_and_partners(api, who, fields, sector):
    assert api.submit(who, title="Scan", **fields)["sector"] == sector


def test_a_partner_must_name_the_sector_it_reports_about(api, runtime):
    before = snapshot(runtime)
    response = api.post("/incidents", "partner", {"title": "Scan"})
    assert response.status_code == 422 and response.json["errors"][0]["loc"] == ["sector"]
    assert snapshot(runtime) == before
