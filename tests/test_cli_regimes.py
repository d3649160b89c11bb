"""`ncert regimes list` and `ncert regimes assign SECTOR REGIME`."""

from __future__ import annotations

from ncert.db import transaction
from ncert.services import directory, regimes
from tests.test_cli import initialised  # noqa: F401  (fixture; `ncert` is the root conftest's)


def test_list_shows_built_ins_and_each_sectors_regime(initialised):  # noqa: F811
    result = initialised("regimes", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("nis2\tbuilt-in\tNIS2 Art. 23 reporting\tearly-warning 24 hours") for line in lines)
    assert any(line.startswith("crisis-status\tbuilt-in\tCrisis mode hourly status (repeats)") for line in lines)
    assert "sector banking\tnis2 (default)" in lines


def test_assign_a_stored_regime_and_go_back_to_the_default(initialised, runtime):  # noqa: F811
    with transaction(runtime.sessions) as s:
        regimes.save(s, directory.system_actor(s, "national-cert", "test"), name="central-bank-4h",
                     title="Central bank", repeat=False, stages=regimes.parse_stages("initial 4 hours"), new=True)
    result = initialised("regimes", "assign", "banking", "central-bank-4h")
    assert result.exit_code == 0 and result.output == "banking\tcentral-bank-4h\n", result.output
    assert "sector banking\tcentral-bank-4h" in initialised("regimes", "list").output.splitlines()
    assert initialised("regimes", "assign", "banking", "default").output == "banking\tnis2\n"


def test_unknown_names_exit_non_zero_with_a_message(initialised):  # noqa: F811
    result = initialised("regimes", "assign", "banking", "nope")
    assert result.exit_code == 1 and "regime: unknown regime 'nope'" in result.output
    result = initialised("regimes", "assign", "shipping", "nis2")
    assert result.exit_code == 1 and "unknown sector 'shipping'" in result.output
