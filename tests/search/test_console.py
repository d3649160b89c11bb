"""The console's indicator pivot (``/indicators``) on every backend: what the search interface finds."""

from __future__ import annotations

import re

from tests.search.conftest import settle


def values(page: str) -> list[str]:
    return re.findall(r'<td class="mono"><a href="[^"]*">([^<]*)</a>', page)


def test_the_indicator_pivot_lists_what_the_user_may_see_and_pages(world, as_user):
    gridco, powergen = world.actor("analyst@gridco.test"), world.actor("analyst@powergen.test")
    world.submit(gridco, tlp="TLP:GREEN", indicators=[
        {"type": "ipv4-addr", "value": f"198.51.100.{n}", "last_seen": f"2026-03-{n:02d}T08:00:00Z"}
        for n in range(1, 4)])
    world.submit(powergen, tlp="TLP:AMBER", indicators=[{"type": "ipv4-addr", "value": "198.51.100.9"}])
    settle(world.runtime)
    console = as_user("analyst@gridco.test")

    page = console.text("/indicators?q=198.51.100.0/24")
    assert values(page) == ["198.51.100.3", "198.51.100.2", "198.51.100.1"]  # newest last seen first
    assert "ipv4-addr 3" in page and "198.51.100.9" not in page
    assert values(console.text("/indicators?q=198[.]51[.]100[.]2&type=ipv4-addr")) == ["198.51.100.2"]
    assert values(console.text("/indicators?q=198.51.100.0/24&type=url")) == []

    operator = as_user("operator@ncert.test")
    assert "198.51.100.9" in values(operator.text("/indicators"))
    assert operator.get("/indicators?sort=colour").status_code == 400
    assert operator.get("/indicators?cursor=forged").status_code == 400
