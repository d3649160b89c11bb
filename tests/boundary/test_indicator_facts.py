"""Indicator facts and merges: what an organisation sees of its own report never
depends on another organisation's hidden report of the same value.

Every probe goes through a real door (REST JSON, the console page, the STIX
export) and is checked with the differential helper: the prober reports the
secret value (which powergen also reported, under TLP:AMBER or TLP:RED) or the
control value (which nobody else reported), and must get the same answers.
"""

from __future__ import annotations

import pytest

from tests.differential import Differential

PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


def _own_report(api, value: str) -> str:
    return api.submit("gridco", title="Beaconing from a workstation", tlp="TLP:GREEN", indicators=[
        {"type": "ipv4-addr", "value": value, "confidence": 40,
         "first_seen": "2026-11-01T08:00:00Z", "last_seen": "2026-11-02T08:00:00Z"}])["reference"]


def _views(api, as_user, reference: str) -> dict:
    """Everything gridco can read about its own report."""
    page = as_user("analyst@gridco.test").text(f"/incidents/{reference}")
    return {
        "rest": api.get(f"/incidents/{reference}", "gridco").json,
        "stix": [o for o in api.get(f"/incidents/{reference}/stix", "gridco").json["objects"]
                 if o["type"] not in ("identity", "marking-definition")],
        "console": page[page.index("<main"):],
    }


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_a_hidden_report_of_the_same_value_changes_nothing_the_reporter_sees(api, as_user, label):
    api.submit("powergen", title="Our sources on the C2", tlp=label, indicators=[
        {"type": "ipv4-addr", "value": PROBE.secret, "confidence": 95,
         "first_seen": "2025-01-01T00:00:00Z", "last_seen": "2026-11-20T00:00:00Z"}])

    PROBE.assert_same(lambda value: _views(api, as_user, _own_report(api, value)))


def test_the_reporter_sees_what_its_report_said_and_national_staff_the_aggregate(api):
    api.submit("powergen", title="Our sources", tlp="TLP:RED", indicators=[
        {"type": "ipv4-addr", "value": PROBE.secret, "confidence": 95, "first_seen": "2025-01-01T00:00:00Z"}])
    ref = _own_report(api, PROBE.secret)

    [mine] = api.get(f"/incidents/{ref}", "gridco").json["indicators"]
    assert (mine["confidence"], mine["tlp"], mine["first_seen"][:10]) == (40, "TLP:GREEN", "2026-11-01")
    [national] = api.get(f"/incidents/{ref}", "operator").json["indicators"]
    assert (national["confidence"], national["tlp"], national["first_seen"][:10]) == (95, "TLP:GREEN", "2025-01-01")


def test_a_visible_report_of_the_same_value_is_part_of_the_reporters_picture(api):
    """Facts come from the reports the organisation may see: powergen's GREEN report is one of them."""
    green = api.submit("powergen", title="Scan", tlp="TLP:GREEN", indicators=[
        {"type": "ipv4-addr", "value": PROBE.secret, "confidence": 95}])["reference"]
    ref = _own_report(api, PROBE.secret)
    [mine] = api.get(f"/incidents/{ref}", "gridco").json["indicators"]
    assert mine["shared_with"]["incidents"] == [green]


@pytest.mark.parametrize("label", ["TLP:AMBER", "TLP:RED"])
def test_merging_a_hidden_report_in_shows_its_owner_nothing_of_it(api, as_user, label):
    """A merge is a national grouping: the kept report's owner sees neither the other
    report's indicators, nor its sector, nor a change of label."""

    def probe(value: str) -> dict:
        ref = _own_report(api, value)
        if value == PROBE.secret:
            hidden = api.submit("centralbank", title="Same C2 seen at the bank", tlp=label, indicators=[
                {"type": "domain-name", "value": "c2.bank-secret.example"}])["reference"]
            response = api.post(f"/incidents/{hidden}/merge", "operator", {"into": ref, "reason": "same campaign"})
            assert response.status_code == 200, response.json
        return _views(api, as_user, ref)

    PROBE.assert_same(probe)


def test_national_staff_read_the_merged_group_and_each_reporter_its_visible_part(api):
    kept = api.submit("gridco", title="C2 beaconing", tlp="TLP:GREEN",
                      indicators=[{"type": "domain-name", "value": "c2.example.net"}])["reference"]
    red = api.submit("centralbank", title="Same C2", tlp="TLP:RED",
                     indicators=[{"type": "ipv4-addr", "value": "203.0.113.9"}])["reference"]
    green = api.submit("powergen", title="Same C2 again", tlp="TLP:GREEN",
                       indicators=[{"type": "ipv4-addr", "value": "198.51.100.7"}])["reference"]
    for duplicate in (red, green):
        assert api.post(f"/incidents/{duplicate}/merge", "operator", {"into": kept}).status_code == 200

    national = api.get(f"/incidents/{kept}", "operator").json
    assert national["merged"] == [red, green]
    assert {i["value"] for i in national["indicators"]} == {"c2.example.net", "203.0.113.9", "198.51.100.7"}
    assert national["tlp"] == "TLP:GREEN"  # each report keeps its own label

    reporter = api.get(f"/incidents/{kept}", "gridco").json
    assert reporter["merged"] == [green]
    assert {i["value"] for i in reporter["indicators"]} == {"c2.example.net", "198.51.100.7"}
    assert reporter["affected_sectors"] == []


def test_publishing_a_report_shares_what_it_said_not_the_national_aggregate(api, collections):
    """Publishing is a national decision about this report; the audience (here sector CERTs)
    gets the report's own facts, never ones a hidden report of the same value shaped."""
    api.submit("powergen", title="Our sources", tlp="TLP:RED", indicators=[
        {"type": "ipv4-addr", "value": PROBE.secret, "confidence": 95, "first_seen": "2025-01-01T00:00:00Z"}])
    collection = collections["national-sector-certs"]

    def published(value: str) -> list:
        ref = _own_report(api, value)
        response = api.post(f"/incidents/{ref}/publish", "operator",
                            {"collection": "national-sector-certs", "tlp": "TLP:GREEN"})
        assert response.status_code == 200, response.json
        objects = api.client.get(f"/taxii2/ncert/collections/{collection}/objects/", headers={
            "Authorization": f"Bearer {api.world.key('energy-cert')}",
            "Accept": "application/taxii+json;version=2.1"}).json["objects"]
        return [o for o in objects if o["type"] == "indicator" and value in o["pattern"]]

    PROBE.assert_same(published)
