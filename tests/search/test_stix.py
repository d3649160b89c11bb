"""STIX objects in the search interface: the same cases on SQLite, PostgreSQL and Elasticsearch,
scoped as TAXII serves them."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from ncert.db import transaction
from ncert.errors import BadRequest
from ncert.models import StixObject, TaxiiCollection
from ncert.search import StixQuery, search_stix
from ncert.services import taxii
from tests.search.conftest import settle
from tests.taxii.stix_data import TLP_AMBER, TLP_GREEN, indicator

C2 = "indicator--6f2c3f6e-1c1e-4d5e-9f43-7b0f5f1d0a01"


def push(world, who: str, alias: str, *objects: dict) -> None:
    actor = world.operator if who == "operator" else world.actor(who)
    with transaction(world.runtime.sessions) as s:
        coll = s.scalar(select(TaxiiCollection).where(TaxiiCollection.alias == alias))
        status = taxii.add_objects(s, actor, coll, objects)
        assert status.failure_count == 0


@pytest.fixture
def objects(world, collections):
    push(world, "analyst@gridco.test", "inbox-energy",
         indicator("198.51.100.1", day=2, ident=C2, name="Emotet C2"),
         indicator("198.51.100.2", day=5, name="Qakbot C2"),
         {"type": "malware", "spec_version": "2.1", "id": "malware--1b7e1b7e-0000-4000-8000-000000000001",
          "created": "2026-03-04T10:00:00.000Z", "modified": "2026-03-04T10:00:00.000Z", "name": "Emotet loader",
          "is_family": True})
    push(world, "analyst@gridco.test", "inbox-energy",  # a new version: only it is searched
         indicator("198.51.100.1", day=7, ident=C2, name="Emotet botnet C2"))
    push(world, "analyst@powergen.test", "inbox-energy", indicator("203.0.113.5", day=3, name="Emotet dropper"))
    push(world, "operator", "national-partners", indicator("192.0.2.7", day=6, name="Emotet relay"),
         indicator("192.0.2.8", day=8, name="Emotet staging", marking=TLP_AMBER))
    settle(world.runtime)


def run(world, who, **query):
    actor = world.operator if who == "operator" else world.actor(who)
    with world.runtime.sessions() as s:
        result = search_stix(s, actor, StixQuery(**query))
        names = {row.id: row.search_text for row in s.execute(
            select(StixObject.id, StixObject.search_text).where(StixObject.id.in_(result.ids)))}
    return [names[i].split(" [")[0] for i in result.ids], result


def found(world, who, **query) -> list[str]:
    return run(world, who, **query)[0]


def test_objects_are_found_where_taxii_serves_them(world, objects):
    assert set(found(world, "operator", text="emotet")) == {
        "Emotet botnet C2", "Emotet loader", "Emotet dropper", "Emotet relay"}  # TLP:AMBER never in a national one
    assert set(found(world, "analyst@gridco.test", text="emotet")) == {"Emotet botnet C2", "Emotet loader"}
    assert found(world, "analyst@partner.test", text="emotet") == ["Emotet relay"]
    assert found(world, "analyst@centralbank.test", text="emotet") == []


def test_text_type_collection_and_modified_filters(world, objects):
    assert found(world, "operator", text="198.51.100.1") == ["Emotet botnet C2"]  # in the pattern
    assert found(world, "operator", text="emotet c2") == ["Emotet botnet C2"]  # every word must match
    assert found(world, "operator", text="emot", type=("malware",)) == ["Emotet loader"]
    assert set(found(world, "operator", collection="national-partners")) == {"Emotet relay"}
    with world.runtime.sessions() as s:
        inbox = s.scalar(select(TaxiiCollection.id).where(TaxiiCollection.alias == "inbox-energy"))
    assert len(found(world, "operator", collection=inbox)) == 4
    assert found(world, "analyst@partner.test", collection="inbox-energy") == []
    window = {"modified_after": datetime(2026, 3, 4, tzinfo=timezone.utc),
              "modified_before": datetime(2026, 3, 6, 10, tzinfo=timezone.utc)}
    assert found(world, "operator", sort="modified", **window) == ["Emotet loader", "Qakbot C2", "Emotet relay"]


def test_sorted_by_modified_or_date_added_and_paged(world, objects):
    assert found(world, "operator") == ["Emotet botnet C2", "Emotet relay", "Qakbot C2", "Emotet loader",
                                        "Emotet dropper"]
    for sort in ("-modified", "modified", "date_added", "-date_added"):
        whole = found(world, "operator", sort=sort, limit=100)
        pages, cursor = [], None
        while True:
            names, result = run(world, "operator", sort=sort, limit=2, cursor=cursor)
            pages += names
            if (cursor := result.next_cursor) is None:
                break
        assert pages == whole and len(whole) == 5


def test_aggregations_by_type_and_collection(world, objects):
    _, result = run(world, "operator", text="emotet", limit=1, aggregations=("type", "collection"))
    assert result.aggregations == {"type": {"indicator": 3, "malware": 1},
                                   "collection": {"inbox-energy": 3, "national-partners": 1}}
    _, result = run(world, "analyst@gridco.test", aggregations=("collection",))
    assert result.aggregations == {"collection": {"inbox-energy": 3}}


def test_a_deleted_object_leaves_search(world, objects):
    with transaction(world.runtime.sessions) as s:
        coll = s.scalar(select(TaxiiCollection).where(TaxiiCollection.alias == "inbox-energy"))
        taxii.delete_object(s, world.admin, coll, C2, taxii.ObjectFilter(versions=("last",)))
    settle(world.runtime)
    assert "Emotet botnet C2" not in found(world, "operator", text="emotet")


def test_bad_queries_are_refused(world, objects):
    for query in ({"sort": "severity"}, {"aggregations": ("sector",)}, {"cursor": "forged"}, {"limit": 0}):
        with pytest.raises(BadRequest):
            run(world, "operator", **query)
    _, result = run(world, "operator", limit=1)
    with pytest.raises(BadRequest):
        run(world, "operator", sort="date_added", cursor=result.next_cursor)


def test_a_pushed_green_object_reaches_search_without_a_rebuild(world, objects):
    push(world, "analyst@gridco.test", "inbox-energy", indicator("198.51.100.9", day=9, name="Fresh beacon",
                                                                 marking=TLP_GREEN))
    settle(world.runtime)
    assert found(world, "analyst@gridco.test", text="fresh") == ["Fresh beacon"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_migration_fills_the_text_of_stored_objects(world, objects):
    from alembic import command

    from ncert.schema import alembic_config, upgrade

    engine = world.runtime.engine
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0022")
    upgrade(engine)
    assert set(found(world, "operator", text="emotet")) == {
        "Emotet botnet C2", "Emotet loader", "Emotet dropper", "Emotet relay"}
    assert found(world, "operator", text="198.51.100.2") == ["Qakbot C2"]


def test_a_push_indexes_each_stored_row_once_and_leaves_the_text_trigger_in_place(world, objects):
    """On SQLite a push indexes its rows' text after them, with the per-row trigger suspended inside its
    transaction (``ncert.db.insert_trigger_suspended``): every stored row is in ``stix_fts`` exactly once,
    a refused batch leaves nothing behind, and the trigger is back for every other writer."""
    if world.runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 table; PostgreSQL indexes the text by an expression index")
    from sqlalchemy import text

    def counts():
        with world.runtime.sessions() as s:
            return (s.scalar(text("SELECT count(*) FROM stix_objects")),
                    s.scalar(text("SELECT count(*) FROM stix_fts_docsize")),
                    s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'stix_fts_insert'")))

    stored, indexed, triggers = counts()
    assert stored == indexed and triggers == 1
    with pytest.raises(RuntimeError), transaction(world.runtime.sessions) as s:
        coll = s.scalar(select(TaxiiCollection).where(TaxiiCollection.alias == "inbox-energy"))
        taxii.add_objects(s, world.actor("analyst@gridco.test"), coll, [indicator("198.51.100.9", name="Rolled back")])
        raise RuntimeError("the transaction fails after the push")
    assert counts() == (stored, indexed, 1)
    assert found(world, "analyst@gridco.test", text="rolled") == []


def test_suspending_the_trigger_waits_for_another_writer_instead_of_failing(world):
    """A push that suspends the text trigger while another connection holds SQLite's write lock waits for
    it (the busy timeout) and goes on once it commits: a transaction that read before taking the lock
    would fail at once, on every retry of a busy server."""
    if world.runtime.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock and FTS5 trigger")
    from sqlalchemy import text

    from ncert.db import insert_trigger_suspended

    outcome: list = []

    def suspend() -> None:
        try:
            with transaction(world.runtime.sessions) as s, insert_trigger_suspended(s, "stix_fts_insert") as done:
                outcome.append(done)
        except Exception as exc:  # reported by the assertion below
            outcome.append(exc)

    holder = world.runtime.sessions()
    holder.execute(text("UPDATE organizations SET name = name"))  # takes the write lock
    pusher = threading.Thread(target=suspend)
    pusher.start()
    time.sleep(0.5)
    assert outcome == []  # still waiting for the lock
    holder.commit()
    holder.close()
    pusher.join(timeout=30)
    assert outcome == [True]
    with world.runtime.sessions() as s:
        assert s.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'stix_fts_insert'")) == 1
