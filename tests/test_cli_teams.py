"""`ncert team add|list|member`, and the demo's teams."""

from __future__ import annotations

from tests.test_cli import initialised  # noqa: F401  (fixture; `ncert` is the root conftest's)


def test_add_list_and_manage_members(initialised):  # noqa: F811
    user = initialised("user", "add", "--email", "sam@ncert.example", "--name", "Sam", "--role", "soc_operator",
                       "--org", "national-cert", "--password", "a long enough secret")
    assert user.exit_code == 0, user.output
    added = initialised("team", "add", "ot-desk", "OT desk", "--email", "ot@ncert.example")
    assert (added.exit_code, added.output) == (0, "ot-desk\tadded\n"), added.output
    assert initialised("team", "add", "duty", "Duty team").exit_code == 0
    member = initialised("team", "member", "ot-desk", "sam@ncert.example")
    assert (member.exit_code, member.output) == (0, "ot-desk\tsam@ncert.example\tadded\n"), member.output
    assert initialised("team", "list").output.splitlines() == [
        "duty\tDuty team\t-\t-", "ot-desk\tOT desk\tot@ncert.example\tsam@ncert.example"]
    removed = initialised("team", "member", "ot-desk", "sam@ncert.example", "--remove")
    assert removed.output == "ot-desk\tsam@ncert.example\tremoved\n"
    assert initialised("team", "list").output.splitlines()[1] == "ot-desk\tOT desk\tot@ncert.example\t-"


def test_errors_exit_non_zero_with_a_clear_message(initialised):  # noqa: F811
    assert initialised("team", "add", "duty", "Duty").exit_code == 0
    for args, message in ((("team", "add", "duty", "Again"), "team 'duty' already exists"),
                          (("team", "add", "Duty Desk", "X"), "lower-case letters, digits and hyphens only"),
                          (("team", "member", "nope", "x@y.example"), "no team 'nope'"),
                          (("team", "member", "duty", "x@y.example"), "no user 'x@y.example'"),
                          (("team", "member", "duty", "x@y.example", "--remove"), "no user 'x@y.example'")):
        result = initialised(*args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)


def test_the_demo_creates_desks_with_the_demo_operators(initialised):  # noqa: F811
    assert initialised("demo", "--incidents", "0").exit_code == 0
    lines = initialised("team", "list").output.splitlines()
    assert lines == ["duty\tDuty team\tduty@ncsc.example\toperator2@ncsc.example, operator@ncsc.example",
                     "finance-desk\tFinance desk\t-\toperator2@ncsc.example",
                     "ot-desk\tOT desk (energy, water, transport)\t-\toperator@ncsc.example"]
