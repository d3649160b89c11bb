"""The console's bounded "also in" list and the full list behind it (issue 15), and the
queue's bounded tab counts."""

from __future__ import annotations

import re

from ncert.services import indicators, queue
from tests.console.helpers import next_link, queue_refs

ALL_LINK = re.compile(r'href="(/indicators/incidents\?[^"]+)">all (\d+\+?) »</a>')
TAB = re.compile(r'class="(?:tab-(\w+) )?[^"]*">(\w+) <b>(\d+\+?)</b>')


def test_the_also_in_list_links_to_every_incident_carrying_the_value(world, as_user, monkeypatch):
    monkeypatch.setattr(indicators, "SHARED_SHOWN", 2)
    powergen, gridco = world.actor("analyst@powergen.test"), world.actor("analyst@gridco.test")
    ioc = [{"type": "domain-name", "value": "c2.example.net"}]
    others = [world.submit(powergen, title=f"C2 {i}", tlp="TLP:GREEN", indicators=ioc) for i in range(3)]
    world.submit(powergen, title="C2, hidden", tlp="TLP:AMBER", indicators=ioc)
    mine = world.submit(gridco, title="C2 here", tlp="TLP:GREEN", indicators=ioc)
    analyst = as_user("analyst@gridco.test")

    page = analyst.text(f"/incidents/{mine}")
    [(link, count)] = ALL_LINK.findall(page)
    assert count == "3"
    # The indicator panel's list (the page's likely-duplicates panel names reports of its own).
    listed = re.search(r"<h2>Indicators .*?</section>", page, re.S).group(0)
    assert others[2] in listed and others[1] in listed and others[0] not in listed

    listing = analyst.get(link.replace("&amp;", "&"))
    assert queue_refs(listing) == [mine, *reversed(others)]  # the console pages by 50; all four fit
    assert next_link(listing) is None


def test_the_full_list_pages_and_refuses_a_bad_value(world, as_user, monkeypatch):
    monkeypatch.setattr("ncert.console.incident.PAGE_SIZE", 2)
    gridco = world.actor("analyst@gridco.test")
    ioc = [{"type": "ipv4-addr", "value": "192.0.2.10"}]
    refs = [world.submit(gridco, title=f"Probe {i}", indicators=ioc) for i in range(3)]
    analyst = as_user("analyst@gridco.test")

    first = analyst.get("/indicators/incidents?type=ipv4-addr&value=192.0.2.10")
    assert queue_refs(first) == [refs[2], refs[1]]
    assert queue_refs(analyst.get(next_link(first))) == [refs[0]]
    assert analyst.get("/indicators/incidents?type=ipv4-addr&value=nope").status_code == 400
    assert "No incidents you may see" in analyst.text("/indicators/incidents?type=ipv4-addr&value=192.0.2.99")


def test_queue_tabs_count_up_to_the_cap_and_say_so(world, as_user, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    gridco = world.actor("analyst@gridco.test")
    for i in range(3):
        world.submit(gridco, title=f"Scan {i}")
    operator = as_user("operator@ncert.test")
    filtered = {status or name: n for status, name, n in TAB.findall(operator.text("/queue?sector=energy"))}
    assert filtered == {"all": "2+", "open": "2+", "new": "2+", "triaged": "0", "investigating": "0",
                        "contained": "0", "resolved": "0", "closed": "0", "merged": "0"}
    # unfiltered, the status totals kept on write count exactly
    tabs = {status or name: n for status, name, n in TAB.findall(operator.text("/queue"))}
    assert tabs == {"all": "3", "open": "3", "new": "3", "triaged": "0", "investigating": "0", "contained": "0",
                    "resolved": "0", "closed": "0", "merged": "0"}
