"""GET /indicators/incidents: the full, paged list behind an indicator's bounded
``shared_with`` (issue 15), scoped like the queue."""

from __future__ import annotations

from ncert.services import indicators

LISTING = "/indicators/incidents"


def _carrying(api, who: str, value: str, **params) -> list[str]:
    """Every page of the list, followed by cursor."""
    refs, query = [], {"type": "ipv4-addr", "value": value, **params}
    while True:
        response = api.get(LISTING, who, query_string=query)
        assert response.status_code == 200, response.json
        refs += [item["reference"] for item in response.json["items"]]
        if response.json["next_cursor"] is None:
            return refs
        query["cursor"] = response.json["next_cursor"]


def test_the_list_pages_through_every_visible_incident_carrying_the_value_newest_first(api):
    ioc = [{"type": "ipv4-addr", "value": "198.51.100.7"}]
    green = [api.submit("powergen", title=f"Beacon {i}", tlp="TLP:GREEN", indicators=ioc)["reference"]
             for i in range(4)]
    amber = api.submit("powergen", title="Beacon, our eyes only", tlp="TLP:AMBER", indicators=ioc)["reference"]
    own = api.submit("gridco", title="Beacon here too", tlp="TLP:RED", indicators=ioc)["reference"]
    api.submit("gridco", title="Another value", indicators=[{"type": "ipv4-addr", "value": "198.51.100.8"}])

    assert _carrying(api, "gridco", "198.51.100.7", limit=2) == [own, *reversed(green)]
    assert _carrying(api, "operator", " 198.51.100.7 ", limit=2) == [own, amber, *reversed(green)]  # normalised
    assert _carrying(api, "partner", "198.51.100.7") == []  # GREEN is not for international partners
    assert _carrying(api, "gridco", "203.0.113.200") == []  # carried by nobody: the same empty answer


def test_shared_with_counts_and_names_the_newest_few(api, monkeypatch):
    monkeypatch.setattr(indicators, "SHARED_SHOWN", 2)
    monkeypatch.setattr(indicators, "SHARED_COUNTED", 3)
    ioc = [{"type": "ipv4-addr", "value": "198.51.100.9"}]
    others = [api.submit("powergen", title=f"Scan {i}", tlp="TLP:GREEN", indicators=ioc)["reference"]
              for i in range(4)]
    mine = api.submit("gridco", title="Scan here", tlp="TLP:GREEN", indicators=ioc)["reference"]

    [indicator] = api.get(f"/incidents/{mine}", "gridco").json["indicators"]
    assert indicator["shared_with"] == {"incidents": [others[3], others[2]], "sectors": ["energy"], "count": 3,
                                        "count_capped": True}
    monkeypatch.setattr(indicators, "SHARED_COUNTED", 10)
    [indicator] = api.get(f"/incidents/{mine}", "gridco").json["indicators"]
    assert (indicator["shared_with"]["count"], indicator["shared_with"]["count_capped"]) == (4, False)


def test_a_bad_query_is_a_clear_400(api):
    for query, word in [({"type": "ipv4-addr", "value": "not an address"}, "value"),
                        ({"type": "colour", "value": "red"}, "type"),
                        ({"type": "ipv4-addr"}, "value"),
                        ({"type": "ipv4-addr", "value": "198.51.100.7", "cursor": "garbage"}, "cursor")]:
        response = api.get(LISTING, "gridco", query_string=query)
        assert response.status_code == 400, (query, response.json)
        assert response.json["error"] and word in response.json["detail"], response.json
