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
