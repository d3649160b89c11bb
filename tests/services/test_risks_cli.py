"""`ncert risks list|show|import FILE.yaml` through click's runner, on both backends."""

from __future__ import annotations

import yaml

from tests.test_cli import initialised  # noqa: F401  (fixture; `ncert` is the root conftest's)

REGISTER = """\
- reference: R-2026-0007
  title: Ransomware on the grid
  scenario: A ransomware group locks the transmission operator's SCADA servers
  owner: {org: energy-cert, person: Deputy Head, email: deputy@energy-cert.example}
  sectors: [energy]
  threat: {rsit: [malicious-code/infected-system], attack: [T1486]}
  assessment:
    inherent: {likelihood: 4, impact: 5, rationale: no segmentation}
    current: {likelihood: 3, impact: 5, rationale: backups tested}
    residual: {likelihood: 2, impact: 3, rationale: after segmentation}
  next_review_on: 2027-02-01
- title: Payment outage by DDoS
  owner: {org: national-cert, person: Duty officer}
  sectors: [banking]
  threat: {rsit: [availability/ddos]}
"""


def test_import_is_idempotent_and_list_and_show_read_the_register(initialised, tmp_path):  # noqa: F811
    path = tmp_path / "register.yaml"
    path.write_text(REGISTER)
    first = initialised("risks", "import", str(path))
    assert (first.exit_code, first.output) == (0, "created 2, updated 0, unchanged 0\n"), first.output
    again = initialised("risks", "import", str(path))
    assert again.output == "created 0, updated 0, unchanged 2\n"

    lines = initialised("risks", "list").output.splitlines()
    assert lines[0] == "R-2026-0007\tassessed\thigh\tmedium\t2027-02-01\tRansomware on the grid"
    assert lines[1].split("\t")[1:4] == ["draft", "-", "-"] and lines[1].endswith("Payment outage by DDoS")
    assert initialised("risks", "list", "--sector", "banking").output.count("\n") == 1

    shown = yaml.safe_load(initialised("risks", "show", "r-2026-0007").output)
    assert shown["assessment"]["current"]["level"] == "high" and shown["version"] == 1
    assert shown["evidence_from_incidents"]["observed_likelihood"] == 1
    assert shown["history"][0].endswith("system (cli): created")


def test_errors_exit_non_zero_with_a_clear_message(initialised, tmp_path):  # noqa: F811
    bad = tmp_path / "bad.yaml"
    bad.write_text("- title: No owner\n")
    result = initialised("risks", "import", str(bad))
    assert result.exit_code == 1 and "risk 1: owner: Field required" in result.output, result.output
    bad.write_text("risks: [unclosed\n")
    assert "not YAML" in initialised("risks", "import", str(bad)).output
    missing = initialised("risks", "show", "R-2026-0404")
    assert missing.exit_code == 1 and "no risk 'R-2026-0404'" in missing.output
    assert initialised("risks", "list").output == ""
