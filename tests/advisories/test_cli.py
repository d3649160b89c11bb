"""`ncert advisories list|show|draft|publish`: the CLI drafts and publishes as the centre's system, and
the service's rules hold there too: nothing is published before a second person approved it, and the
system, being nobody, approves nothing."""

from __future__ import annotations

import json

import pytest
import yaml

from ncert.db import transaction
from ncert.errors import Conflict, Forbidden
from ncert.services import advisories, directory
from tests.advisories.helpers import content, publish
from tests.factories import build_world

ADVISORY = {
    "texts": {"en": {"title": "Phishing in the name of e-government", "summary": "Fake login pages.",
                     "actions": "Check the address bar."},
              "az": {"title": "Elektron hökumət adından fişinq", "summary": "Saxta giriş səhifələri."}},
    "severity": "medium",
    "products": [{"name": "E-government portal users"}],
    "indicators": [{"type": "domain-name", "value": "E-GOV-LOGIN.example"}],
}


def test_draft_show_publish_from_the_command_line(ncert, runtime, tmp_path):
    assert ncert("init").exit_code == 0
    path = tmp_path / "advisory.yaml"
    path.write_text(yaml.safe_dump({**ADVISORY, "change_summary": "First"}, allow_unicode=True), encoding="utf-8")
    drafted = ncert("advisories", "draft", str(path))
    assert drafted.exit_code == 0, drafted.output
    ref = drafted.output.split()[0]
    assert ref.startswith("NCERT-SA-") and "revision 1 is a draft: submit it for approval" in drafted.output

    listed = ncert("advisories", "list")
    assert listed.exit_code == 0 and f"{ref}\tr1 draft\tunpublished\tPhishing in the name of e-government" in \
        listed.output

    # Not approved: the CLI may not publish it, and the system may not approve it (it is nobody).
    refused = ncert("advisories", "publish", ref)
    assert refused.exit_code == 1 and "draft, not approved" in refused.output
    with transaction(runtime.sessions) as s:
        system = directory.system_actor(s, runtime.settings.national_org, "cli")
        with pytest.raises(Forbidden, match="second person"):
            advisories.approve(s, system, ref, 1)

    # Not submitted: a leader may not approve it yet. The CLI submits it.
    leader = _leader(runtime)
    with transaction(runtime.sessions) as s, pytest.raises(Conflict, match="draft, not submitted"):
        advisories.approve(s, leader, ref, 1)
    submitted = ncert("advisories", "submit", ref)
    assert submitted.exit_code == 0, submitted.output
    assert submitted.output.startswith(f"{ref} revision 1 is submitted")
    assert f"{ref}\tr1 submitted\tunpublished\t" in ncert("advisories", "list").output
    assert "revision 1 of" in ncert("advisories", "submit", ref, "--revision", "1").output  # submitted already
    with transaction(runtime.sessions) as s:
        advisories.approve(s, leader, ref, 1)
    published = ncert("advisories", "publish", ref.lower())
    assert published.exit_code == 0, published.output
    assert published.output.strip() == f"{ref} revision 1 published (TLP:CLEAR)"
    again = ncert("advisories", "publish", ref)
    assert again.exit_code == 1 and "every revision is published already" in again.output

    shown = ncert("advisories", "show", ref)
    assert shown.exit_code == 0
    out = yaml.safe_load(shown.output)
    assert out["reference"] == ref and out["first_published_at"]
    [revision] = out["revisions"]
    assert revision["status"] == "published" and revision["approved_by"] == "leader@ncert.test"
    assert revision["submitted_by"].startswith("system")
    assert revision["indicators"] == [{"type": "domain-name", "value": "e-gov-login.example"}]  # normalised
    assert revision["texts"]["az"]["title"] == "Elektron hökumət adından fişinq"

    # --revise writes the next revision (JSON is YAML too); it waits for its own approval.
    path.write_text(json.dumps({**ADVISORY, "severity": "high", "change_summary": "Wider campaign"}))
    revised = ncert("advisories", "draft", str(path), "--revise", ref)
    assert revised.exit_code == 0 and f"{ref} revision 2 is a draft" in revised.output
    assert f"{ref}\tr2 draft\tpublished r1\t" in ncert("advisories", "list").output

    # Withdrawing needs a reason; it discards the open draft and publishes revision 2 as the withdrawal.
    assert ncert("advisories", "withdraw", ref).exit_code == 2  # --reason is required
    assert "reason" in ncert("advisories", "withdraw", ref, "--reason", "  ").output
    withdrawn = ncert("advisories", "withdraw", ref, "--reason", "The campaign was a test by the vendor")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert withdrawn.output.strip() == f"{ref} is withdrawn (revision 2)"
    assert f"{ref}\tr2 published\twithdrawn r2\t" in ncert("advisories", "list").output
    out = yaml.safe_load(ncert("advisories", "show", ref).output)
    assert out["withdrawn_at"] and out["revisions"][1]["withdrawal_reason"] == "The campaign was a test by the vendor"
    again = ncert("advisories", "withdraw", ref, "--reason", "twice")
    assert again.exit_code == 1 and "is withdrawn" in again.output


def test_the_command_line_refuses_bad_files_and_unknown_advisories(ncert, runtime, tmp_path):
    assert ncert("init").exit_code == 0
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**ADVISORY, "severity": "apocalyptic"}))
    bad = ncert("advisories", "draft", str(path))
    assert bad.exit_code == 1 and "severity" in bad.output
    path.write_text("- just\n- a list\n")
    assert "expected a mapping" in ncert("advisories", "draft", str(path)).output
    unknown = ncert("advisories", "show", "NCERT-SA-2026-9999")
    assert unknown.exit_code == 1 and "no advisory" in unknown.output
    assert ncert("advisories", "list").output == ""


def test_the_command_line_lists_what_other_doors_published(ncert, runtime):
    world = build_world(runtime)
    ref = publish(world, content())
    listed = ncert("advisories", "list")
    assert listed.exit_code == 0, listed.output
    assert f"{ref}\tr1 published\tpublished r1\tExploited flaw in ExampleVPN gateways" in listed.output


def _leader(runtime):
    """A leadership user of the national organisation `ncert init` made."""
    from ncert.models import Organization

    with transaction(runtime.sessions) as s:
        national = s.query(Organization).filter_by(slug=runtime.settings.national_org).one()
        system = directory.system_actor(s, national.slug, "cli")
        user = directory.add_user(s, system, email="leader@ncert.test", name="Leader", role="leadership",
                                  org=national.slug, password="a long enough password")
        return directory.actor_for_user(user, "test")
