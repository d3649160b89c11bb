"""The search suites run every case on three backends: SQLite FTS5, PostgreSQL full text, and
PostgreSQL with Elasticsearch.

Elasticsearch comes from ``NCERT_TEST_ELASTICSEARCH_URL`` (``.ci/elasticsearch.sh`` starts a real
node and ``.ci/run`` sets it). Locally, without it, the Elasticsearch case is skipped with a reason;
under CI (``CI=true``) a missing server fails the run, as ``tests/conftest.py`` does for PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ncert import outbox
from ncert.runtime import Runtime
from tests.api.conftest import api  # noqa: F401  (the REST caller fixture)
from tests.conftest import database, fresh_runtime
from tests.console.conftest import as_user  # noqa: F401  (signed-in consoles)
from tests.taxii.conftest import collections  # noqa: F401  (the TAXII collections)

SEARCH_BACKENDS = ("sqlite", "postgresql", "postgresql+elasticsearch")


def elasticsearch_url() -> str:
    url = os.environ.get("NCERT_TEST_ELASTICSEARCH_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but NCERT_TEST_ELASTICSEARCH_URL is not set: the Elasticsearch suite must run in CI")
        pytest.skip("Elasticsearch case skipped: set NCERT_TEST_ELASTICSEARCH_URL (.ci/elasticsearch.sh) to run it")
    return url


@pytest.fixture(scope="session", params=SEARCH_BACKENDS)
def backend(request, tmp_path_factory):
    """Overrides the root fixture: (kind, handle, Elasticsearch URL or None)."""
    kind, _, search = request.param.partition("+")
    url = elasticsearch_url() if search else None
    for kind_, handle in database(kind, tmp_path_factory):
        yield (kind_, handle, url)


@pytest.fixture
def runtime(backend, tmp_path) -> Runtime:
    """A runtime on an empty database and, for Elasticsearch, an empty index."""
    kind, handle, url = backend
    if url:
        empty_cluster(url)
        yield from fresh_runtime((kind, handle), tmp_path, NCERT_ELASTICSEARCH_URL=url)
    else:
        yield from fresh_runtime((kind, handle), tmp_path)


def empty_cluster(url: str) -> None:
    """Delete ncert's indices, by name (wildcard deletes are refused by default)."""
    from ncert.search import elastic, indexing

    es = elastic.client(url)
    for alias in (feed.spec().alias for feed in indexing.FEEDS):
        names = list(es.indices.get(index=f"{alias}-*", expand_wildcards="all"))
        if names:
            es.indices.delete(index=",".join(names))


@pytest.fixture(scope="module")
def own_node():
    """A node of the module's own (``tests.search.es_node``), which a test may stop and restart;
    stopped after the module, so a second JVM runs only while the outage test does."""
    from tests.search.es_node import Node

    home = os.environ.get("ES_HOME")
    if not home:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but ES_HOME is not set: the Elasticsearch outage test must run in CI")
        pytest.skip("Elasticsearch outage test skipped: set ES_HOME to an unpacked 8.19 (.ci/elasticsearch.sh)")
    node = Node(Path(home))
    node.start()
    yield node
    node.stop()
    node.remove()


def settle(runtime: Runtime) -> None:
    """Deliver every due outbox row (the index updates among them) and make Elasticsearch's
    writes visible to search, as they are a refresh interval later in production."""
    while outbox.deliver_due(runtime):
        pass
    if runtime.settings.elasticsearch_url:
        from ncert.search import elastic, indexing

        es = elastic.client(runtime.settings.elasticsearch_url)
        for alias in (feed.spec().alias for feed in indexing.FEEDS):
            if elastic.aliased(es, alias):
                es.indices.refresh(index=alias)
