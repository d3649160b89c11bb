import json

import pytest
from pymisp import PyMISP

from tests.serving import running_server


@pytest.fixture
def server(world):
    with running_server(world.runtime) as base:
        yield base


@pytest.fixture
def misp(server, world):
    """``misp(org, role)``: a real PyMISP client with a key of that organisation and role."""
    def connect(org: str, role: str = "sector_analyst") -> PyMISP:
        return PyMISP(f"{server}/misp/", world.key(org, role), ssl=False)
    return connect


@pytest.fixture
def door(client, world):
    """``door(org, role)``: a caller of the /misp/ door through the Flask test client with that key;
    ``caller(method, path, body)`` returns the response."""
    def as_key(org: str, role: str = "sector_analyst"):
        headers = {"Authorization": world.key(org, role), "Accept": "application/json",
                   "Content-Type": "application/json"}

        def call(method: str, path: str, body=None):
            return client.open(f"/misp/{path}", method=method, headers=headers,
                               data=json.dumps(body) if body is not None else None)
        return call
    return as_key
