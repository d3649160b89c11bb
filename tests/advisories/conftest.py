"""The console's signed-in clients, for the advisory desk's tests."""

from tests.console.conftest import as_user  # noqa: F401  (fixture)
