"""``GET /api/v1/landscape``: trends and tops of a period, within the key's scope."""

from __future__ import annotations

from datetime import timedelta

from tests.services.kpi_helpers import Q3, place


def reported(api, who: str, days: int, **fields) -> str:
    ref = api.submit(who, **fields)["reference"]
    place(api.world, ref, reported_at=Q3 + timedelta(days=days))
    return ref


def test_the_landscape_of_a_quarter(api):
    reported(api, "gridco", 1, category="fraud/phishing", indicators=[{"type": "cve", "value": "CVE-2026-1111"}])
    reported(api, "centralbank", 45, category="fraud/phishing", tlp="TLP:GREEN")
    reported(api, "gridco", -10, category="availability/ddos")

    response = api.get("/landscape", "operator", query_string={"period": "2026Q3"})
    assert response.status_code == 200, response.json
    found = response.json
    assert (found["period"]["label"], found["previous_period"]["label"]) == ("2026Q3", "2026Q2")
    assert found["months"] == ["2026-07", "2026-08", "2026-09"]
    assert (found["total"], found["previous_total"]) == (2, 1)
    assert found["by_class"][0] == {"key": "fraud", "label": "fraud", "per_month": [1, 1, 0], "total": 2,
                                    "previous": 0}
    assert [t["key"] for t in found["by_sector"]] == ["energy", "finance"]
    assert found["top_cves"] == [{"name": "CVE-2026-1111", "incidents": 1}]
    assert found["top_malware"] == [] and found["top_techniques"] == [] and found["national_incidents"] == []


def test_the_landscape_is_scoped_to_the_key(api):
    reported(api, "gridco", 1, tlp="TLP:AMBER")
    reported(api, "powergen", 2, tlp="TLP:AMBER", indicators=[{"type": "cve", "value": "CVE-2026-2222"}])
    reported(api, "centralbank", 3, tlp="TLP:CLEAR")
    query = {"from": "2026-07-01", "to": "2026-07-31"}
    assert api.get("/landscape", "leader", query_string=query).json["total"] == 3
    gridco = api.get("/landscape", "gridco", query_string=query).json
    assert (gridco["total"], gridco["top_cves"], gridco["months"]) == (2, [], ["2026-07"])
    assert api.get("/landscape", "partner", query_string=query).json["total"] == 1  # TLP:CLEAR only


def test_a_bad_period_is_a_400(api):
    response = api.get("/landscape", "gridco", query_string={"period": "Q3"})
    assert response.status_code == 400 and response.json["error"] == "bad_request"
    assert "not a quarter like 2026Q3" in response.json["detail"]
