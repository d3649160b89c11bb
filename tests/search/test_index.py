"""The Elasticsearch index: explicit mapping in a template, an alias swapped by a zero-downtime
rebuild, and the ``ncert search`` commands."""

from __future__ import annotations

import pytest

from ncert.search import SearchQuery, elastic, indexing, search_incidents
from tests.search.conftest import settle

ELASTICSEARCH = pytest.mark.parametrize("backend", ["postgresql+elasticsearch"], indirect=True)


def found(world, text):
    with world.runtime.sessions() as s:
        return search_incidents(s, world.operator, SearchQuery(text=text, limit=100)).ids


@pytest.fixture
def es(runtime):
    return elastic.client(runtime.settings.elasticsearch_url)


@ELASTICSEARCH
def test_the_index_has_the_template_mapping_behind_the_alias(world, es):
    world.submit(world.actor("analyst@gridco.test"), title="Beaconing", tlp="TLP:GREEN")
    settle(world.runtime)
    [index] = elastic.aliased(es)
    assert index == f"{elastic.ALIAS}-initial"  # made by the first delivery
    mapping = es.indices.get_mapping(index=index)[index]["mappings"]
    assert mapping["dynamic"] == "strict" and mapping["properties"] == elastic.MAPPINGS["properties"]
    template = es.indices.get_index_template(name=elastic.TEMPLATE)["index_templates"][0]["index_template"]
    assert template["index_patterns"] == [f"{elastic.ALIAS}-*"]


@ELASTICSEARCH
def test_a_rebuild_serves_the_old_index_until_the_swap_and_keeps_what_changed_meanwhile(world, es):
    gridco = world.actor("analyst@gridco.test")
    for i in range(5):
        world.submit(gridco, title=f"Beaconing host {i}", tlp="TLP:GREEN")
    settle(world.runtime)
    [old] = elastic.aliased(es)
    es.delete(index=old, id=str(found(world, "host 0")[0]), refresh=True)  # a document lost somehow
    assert len(found(world, "beaconing")) == 4
    seen_during = []

    def progress(_n):
        if not seen_during:  # mid-rebuild: searches still read the old index, and intake goes on
            seen_during.append(len(found(world, "beaconing")))
            world.submit(gridco, title="Beaconing host late", tlp="TLP:GREEN")
            settle(world.runtime)

    with world.runtime.sessions() as s:
        rebuilt = indexing.rebuild(s, es, progress)
    es.indices.refresh(index=elastic.ALIAS)
    assert seen_during == [4]
    assert rebuilt.removed == [old] and elastic.aliased(es) == [rebuilt.index] != [old]
    assert not es.indices.exists(index=old)
    assert len(found(world, "beaconing")) == 6  # the lost one is back, the late one caught up
    assert rebuilt.caught_up >= 1


@ELASTICSEARCH
def test_deliverers_that_find_no_index_at_once_make_one(es):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        made = set(pool.map(lambda _: elastic.ensure_index(es), range(4)))
    assert made == {f"{elastic.ALIAS}-initial"} and elastic.aliased(es) == [f"{elastic.ALIAS}-initial"]


@ELASTICSEARCH
def test_search_commands(world, ncert, es):
    gridco = world.actor("analyst@gridco.test")
    for i in range(3):
        world.submit(gridco, title=f"Beaconing host {i}", tlp="TLP:GREEN")
    status = ncert("search", "status")
    assert status.exit_code == 0, status.output
    assert "(no index yet)" in status.output and "index lag 3 incident(s) not yet indexed" in status.output

    result = ncert("search", "reindex")
    assert result.exit_code == 0, result.output
    assert "search index rebuilt: 3 incident document(s) in ncert-incidents-" in result.output
    settle(world.runtime)
    status = ncert("search", "status")
    assert "documents 3, incidents in the database 3" in status.output
    assert "index lag 0 incident(s)" in status.output
    assert len(found(world, "beaconing")) == 3


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_search_commands_need_elasticsearch(ncert):
    result = ncert("search", "reindex")
    assert result.exit_code == 1 and "NCERT_ELASTICSEARCH_URL is not set" in result.output
