"""The console's STIX page (``/stix``) on every backend: what ``search_stix`` finds, paged with its
cursor, each object's JSON served only to who TAXII would serve it, and nothing another
organisation pushed showing through."""

from __future__ import annotations

import json
import re
from html import unescape

from sqlalchemy import select

from ncert.models import AuditEvent
from tests.console.helpers import next_link
from tests.differential import Differential
from tests.search import test_stix
from tests.search.conftest import settle
from tests.taxii.stix_data import indicator

C2 = test_stix.C2
objects = test_stix.objects  # the fixture: the same objects as the search suite's
ROW = re.compile(r'<td class="stix-name">([^<]*)</td>\s*<td class="mono"><a href="([^"]+)"')


def listed(page: str) -> list[str]:
    return [unescape(name) for name, _ in ROW.findall(page)]


def links(page: str) -> list[str]:
    return [unescape(link) for _, link in ROW.findall(page)]


def test_each_user_finds_what_taxii_serves_it(world, objects, as_user):
    operator = as_user("operator@ncert.test")
    page = operator.text("/stix?q=emotet")
    assert set(listed(page)) == {"Emotet botnet C2", "Emotet loader", "Emotet dropper", "Emotet relay"}
    assert ">indicator</a> 3" in page and ">malware</a> 1" in page  # the type facet
    assert set(listed(as_user("analyst@gridco.test").text("/stix?q=emotet"))) == {"Emotet botnet C2",
                                                                                  "Emotet loader"}
    assert listed(as_user("analyst@partner.test").text("/stix?q=emotet")) == ["Emotet relay"]
    assert listed(as_user("analyst@centralbank.test").text("/stix")) == []


def test_type_collection_and_modified_days_narrow_the_search(world, objects, as_user):
    operator = as_user("operator@ncert.test")
    assert listed(operator.text("/stix?q=emot&type=malware")) == ["Emotet loader"]
    assert listed(operator.text("/stix?collection=national-partners")) == ["Emotet relay"]
    assert listed(operator.text("/stix?since=2026-03-04&until=2026-03-06&sort=modified")) == [
        "Emotet loader", "Qakbot C2", "Emotet relay"]
    assert listed(operator.text("/stix?q=198.51.100.1")) == ["Emotet botnet C2"]  # a word of the pattern
    assert operator.get("/stix?collection=no-such").status_code == 400
    assert operator.get("/stix?cursor=forged").status_code == 400


def test_pages_follow_the_search_cursor(world, objects, as_user):
    operator = as_user("operator@ncert.test")
    for sort in ("-modified", "date_added"):
        whole = listed(operator.text(f"/stix?sort={sort}"))
        seen, url = [], f"/stix?sort={sort}&limit=2"
        while url:
            response = operator.get(url)
            seen += listed(response.get_data(as_text=True))
            url = next_link(response)
        assert seen == whole and len(whole) == 5


def test_each_object_links_to_its_json_for_who_may_read_it(world, objects, as_user):
    gridco, centralbank = as_user("analyst@gridco.test"), as_user("analyst@centralbank.test")
    page = gridco.text("/stix?q=emotet+botnet")
    [link] = links(page)
    body = json.loads(gridco.text(link))
    assert (body["id"], body["name"], body["modified"]) == (C2, "Emotet botnet C2", "2026-03-07T10:00:00.000Z")
    assert centralbank.get(link).status_code == 404  # another sector's inbox
    partner = as_user("analyst@partner.test")
    [relay] = links(partner.text("/stix?q=relay"))
    assert json.loads(partner.text(relay))["name"] == "Emotet relay"
    with world.runtime.sessions() as s:  # taken from a national collection: audited as a TAXII read is
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "taxii.export",
                                                 AuditEvent.object_id == "national-partners")) is not None
    staging = links(as_user("operator@ncert.test").text("/stix?q=staging"))
    assert staging == []  # TLP:AMBER is never served from a national collection


PROBE = Differential(secret="203.0.113.66", control="203.0.113.67")


def test_another_organisations_push_changes_nothing_the_stix_page_shows(world, collections, as_user):
    """powergen pushes the secret value into the energy inbox as the same STIX id the prober then
    pushes: the prober's page, facets, paging and JSON are the same as with a value nobody else has."""
    ident = "indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

    def push(org: str, value: str, day: int) -> None:
        test_stix.push(world, f"analyst@{org}.test", "inbox-energy", indicator(value, day=day, ident=ident))

    push("powergen", PROBE.secret, 9)
    prober = as_user("analyst@gridco.test")

    def views(value: str) -> list[str]:
        push("gridco", value, 2 if value == PROBE.secret else 3)  # the second push is a newer version
        settle(world.runtime)
        pages = [prober.text(f"/stix?q={value}"), prober.text(f"/stix?q={value}&limit=1"),
                 prober.text(f"/stix?q={value}&collection=inbox-energy&since=2026-03-01")]
        return pages + [prober.text(link) for link in links(pages[0])]

    PROBE.assert_same(views)

