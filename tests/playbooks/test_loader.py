"""Loading YAML playbooks: the schema, every action, and file:line error messages."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ncert.errors import Invalid
from ncert.taxonomy import TLP
from playbooks.facts import Facts
from playbooks.loader import PlaybookError, load_library, load_playbook, parse_playbook
from playbooks.schema import (
    AddTasks,
    Assign,
    LinkRisk,
    Notify,
    OpenNationalIncident,
    RaiseSeverityTo,
    RequestInformation,
    SetCategory,
    SetSeverity,
    SetTlp,
    StartClock,
    Trigger,
)

RANSOMWARE = """\
name: ransomware-essential-entity
version: 2
description: Ransomware at an NIS2 essential entity
priority: 10
triggers: [incident.created, incident.updated]
when:
  all:
    - fact: text
      contains_any: [ransom*, lockbit]
    - {fact: entity_class, eq: essential}
actions:
  - {type: set_category, category: malicious-code/infected-system}
  - {type: raise_severity_to, level: 3}
  - {type: set_severity, level: 4}
  - {type: set_tlp, tlp: amber+strict}
  - {type: assign, team: ransomware-cell}
  - {type: assign, user: operator@ncert.test}
  - type: add_tasks
    checklist: Ransomware first hour
    tasks: [Isolate affected hosts, Preserve a memory image]
  - {type: request_information, text: "Which backups are offline?"}
  - type: notify
    channel: email
    recipients: [duty@ncert.test, "role:leadership"]
    subject: Ransomware at {sector}
    template: "{reference} needs attention"
  - {type: notify, channel: webhook, url: "https://hooks.example/ncert", template: "{reference}"}
  - {type: start_clock, regime: nis2}
  - {type: open_national_incident, title: Ransomware campaign}
  - {type: link_risk, risk: 12}
"""


def test_a_complete_playbook_loads_into_plain_data():
    book = parse_playbook(RANSOMWARE, "ransomware.yaml")
    assert (book.name, book.version, book.priority, book.enabled) == ("ransomware-essential-entity", 2, 10, True)
    assert book.triggers == {Trigger.INCIDENT_CREATED, Trigger.INCIDENT_UPDATED}
    assert book.path == "ransomware.yaml"
    assert book.actions == (
        SetCategory("malicious-code", "infected-system"),
        RaiseSeverityTo(3),
        SetSeverity(4),
        SetTlp(TLP.AMBER_STRICT),
        Assign(team="ransomware-cell"),
        Assign(user="operator@ncert.test"),
        AddTasks(("Isolate affected hosts", "Preserve a memory image"), checklist="Ransomware first hour"),
        RequestInformation("Which backups are offline?"),
        Notify("email", "{reference} needs attention", recipients=("duty@ncert.test", "role:leadership"),
               subject="Ransomware at {sector}"),
        Notify("webhook", "{reference}", url="https://hooks.example/ncert"),
        StartClock("nis2"),
        OpenNationalIncident("Ransomware campaign"),
        LinkRisk("12"),
    )
    assert book.when["all"][1] == {"fact": "entity_class", "eq": "essential"}


def test_applies_needs_the_trigger_the_condition_and_enabled():
    book = parse_playbook(RANSOMWARE)
    hit = Facts(text="LockBit note", entity_class="essential")
    assert book.applies(Trigger.INCIDENT_CREATED, hit)
    assert book.applies("incident.updated", hit)
    assert not book.applies(Trigger.ANOMALY_FLAGGED, hit)
    assert not book.applies(Trigger.INCIDENT_CREATED, Facts(text="LockBit note", entity_class="important"))
    disabled = parse_playbook(RANSOMWARE.replace("priority: 10", "priority: 10\nenabled: false"))
    assert not disabled.applies(Trigger.INCIDENT_CREATED, hit)


def test_defaults_when_optional_keys_are_absent():
    book = parse_playbook(
        "name: any\nversion: 1\ntriggers: [anomaly.flagged]\nactions: [{type: open_national_incident}]\n")
    assert (book.description, book.enabled, book.priority, book.when) == ("", True, 100, None)
    assert book.applies(Trigger.ANOMALY_FLAGGED, Facts())
    assert book.actions == (OpenNationalIncident(),)


def _error(text: str) -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "library/x.yaml")
    return caught.value


@pytest.mark.parametrize(
    "old, new, line, what",
    [
        ("version: 2", "version: two", 2, "version: expected a whole number, got string"),
        ("version: 2", "version: 0", 2, "version: 0 is out of range; expected at least 1"),
        ("version: 2\n", "", 1, "a playbook is missing 'version'"),
        ("name: ransomware-essential-entity", "name: Ransomware!", 1, "is not a playbook name"),
        ("priority: 10", "priority: high", 4, "priority: expected a whole number"),
        ("priority: 10", "priority: 10\nenabled: maybe", 5, "enabled: expected true or false, got string"),
        ("priority: 10", "priority: 10\nowner: me", 5, "unknown key 'owner' in a playbook"),
        ("incident.updated]", "incident.deleted]", 5, "triggers[1]: unknown trigger 'incident.deleted'"),
        ("triggers: [incident.created, incident.updated]", "triggers: []", 5, "triggers: expected a non-empty list"),
        ("contains_any: [ransom*, lockbit]", "contains_any: [ransom*, 3]", 9,
         "when.all[0].contains_any[1]: expected a string, got number"),
        ("{fact: entity_class, eq: essential}", "{fact: entity_klass, eq: essential}", 10,
         "when.all[1].fact: unknown fact 'entity_klass'"),
        ("category: malicious-code/infected-system", "category: malicious-code/phishing", 12,
         "actions[0].category: RSIT class 'malicious-code' has no type 'phishing'"),
        ("{type: raise_severity_to, level: 3}", "{type: raise_severity_to, level: 6}", 13,
         "actions[1].level: 6 is out of range; expected 0…5"),
        ("{type: set_severity, level: 4}", "{type: set_severity}", 14,
         "actions[2]: action 'set_severity' is missing 'level'"),
        ("tlp: amber+strict", "tlp: purple", 15, "actions[3].tlp: unknown TLP label 'purple'"),
        ("{type: assign, team: ransomware-cell}", "{type: assign, team: a, user: b@c.d}", 16,
         "actions[4]: assign needs exactly one of 'team' or 'user'"),
        ("{type: assign, user: operator@ncert.test}", "{type: assign, user: operator}", 17,
         "actions[5].user: 'operator' is not an e-mail address"),
        ("tasks: [Isolate affected hosts, Preserve a memory image]", "tasks: [Isolate affected hosts, '']", 20,
         "actions[6].tasks[1]: expected non-empty text, got empty text"),
        ('{type: request_information, text: "Which backups are offline?"}', "{type: request_information}", 21,
         "actions[7]: action 'request_information' is missing 'text'"),
        ('"role:leadership"', '"role:janitor"', 24, "actions[8].recipients[1]: unknown role 'janitor'"),
        ("channel: email", "channel: sms", 23, "actions[8].channel: unknown channel 'sms'"),
        ('url: "https://hooks.example/ncert"', 'url: "ftp://hooks.example"', 27,
         "actions[9].url: 'ftp://hooks.example' is not an http(s) URL"),
        ('{type: notify, channel: webhook, url: "https://hooks.example/ncert", template: "{reference}"}',
         '{type: notify, channel: webhook, subject: x, url: "https://h.example", template: "{reference}"}', 27,
         "actions[9].subject: 'subject' applies only to the email channel"),
        ("regime: nis2", "regime: gdpr", 28, "actions[10].regime: unknown clock regime 'gdpr'"),
        ("{type: link_risk, risk: 12}", "{type: link_risk, risk: 12, owner: x}", 30,
         "actions[12].owner: unknown key 'owner' in action 'link_risk'"),
        ("{type: link_risk, risk: 12}", "{type: escalate}", 30, "actions[12].type: unknown action type 'escalate'"),
        ("{type: link_risk, risk: 12}", "link_risk", 30, "actions[12]: an action must be a mapping, got string"),
        ("  - {type: link_risk, risk: 12}\n", "  - {type: set_tlp, tlp: red, tlp: clear}\n", 30, "duplicate key 'tlp'"),
        ("priority: 10", "priority: 10\npriority: 20", 5, "duplicate key 'priority'"),
        ("when:\n", "when: [\n", 8, "invalid YAML: expected the node content, but found '-'"),
    ],
)
def test_every_fault_names_file_line_and_what(old, new, line, what):
    assert old in RANSOMWARE
    err = _error(RANSOMWARE.replace(old, new, 1))
    assert (err.path, err.line) == ("library/x.yaml", line), str(err)
    assert what in err.what
    assert str(err) == f"library/x.yaml:{line}: {err.what}"
    assert isinstance(err, Invalid) and err.status == 422


def test_whole_document_faults():
    assert str(_error("")) == "library/x.yaml:1: the file is empty; expected a playbook mapping"
    assert str(_error("- a\n- b\n")) == "library/x.yaml:1: a playbook must be a mapping, got list"
    err = _error("name: x\nversion: 1\ntriggers: [incident.created]\nactions: []\n")
    assert (err.line, err.what) == (4, "actions: 'actions' needs a non-empty list, got list")
    err = _error("name: x\nversion: 1\ntriggers: [incident.created]\nactions: [{type: open_national_incident}]\n"
                 "when: &w {not: *w}\n")
    # A self-referencing alias never gets as far as the schema: aliases are refused (issue 9).
    assert err.line == 5 and err.what.startswith("YAML anchors and aliases (&name, *name, <<: *name) are not accepted")


def test_load_library_orders_by_priority_then_name(tmp_path):
    def write(file: str, name: str, priority: int) -> None:
        (tmp_path / file).write_text(
            f"name: {name}\nversion: 1\npriority: {priority}\ntriggers: [incident.created]\n"
            "actions: [{type: raise_severity_to, level: 1}]\n", encoding="utf-8")

    write("a.yaml", "zeta", 5)
    write("b.yml", "alpha", 50)
    write("c.yaml", "beta", 5)
    (tmp_path / "README.md").write_text("not a playbook", encoding="utf-8")
    assert [b.name for b in load_library(tmp_path)] == ["beta", "zeta", "alpha"]
    assert load_playbook(tmp_path / "a.yaml").path == str(tmp_path / "a.yaml")


def test_load_library_rejects_duplicate_names_and_reports_bad_files(tmp_path):
    body = "version: 1\ntriggers: [incident.created]\nactions: [{type: open_national_incident}]\n"
    (tmp_path / "one.yaml").write_text("name: same\n" + body, encoding="utf-8")
    (tmp_path / "two.yaml").write_text("# copy\nname: same\n" + body, encoding="utf-8")
    with pytest.raises(PlaybookError) as caught:
        load_library(tmp_path)
    expected = f"{tmp_path / 'two.yaml'}:2: name: playbook 'same' is already defined in {tmp_path / 'one.yaml'}"
    assert str(caught.value) == expected

    (tmp_path / "two.yaml").write_bytes(b"\xff\xfe bad")
    with pytest.raises(PlaybookError) as caught:
        load_library(tmp_path)
    assert caught.value.path == str(tmp_path / "two.yaml") and "cannot read" in caught.value.what


def test_time_conditions_use_the_facts_clock():
    book = parse_playbook(
        "name: recent\nversion: 1\ntriggers: [incident.created]\nwhen: {fact: reported_at, within: 72h}\n"
        "actions: [{type: raise_severity_to, level: 2}]\n")
    now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    assert book.applies("incident.created", Facts(reported_at=datetime(2026, 1, 3, tzinfo=timezone.utc), now=now))
    assert not book.applies("incident.created", Facts(reported_at=datetime(2026, 1, 1, tzinfo=timezone.utc), now=now))


_yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.text(max_size=8)
    | st.sampled_from(["email", "webhook", "nis2", "TLP:RED", "severity", "incident.created", "a@b.cd"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "level", "tlp", "team", "user", "tasks", "channel", "recipients", "url",
                         "template", "regime", "risk", "fact", "gte", "in", "all", "not", "text"]),
        inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(when=_yaml_values, actions=_yaml_values, triggers=_yaml_values)
def test_any_yaml_loads_or_fails_with_a_located_playbook_error(when, actions, triggers):
    text = yaml.safe_dump({"name": "fuzz", "version": 1, "triggers": triggers, "when": when, "actions": actions})
    try:
        book = parse_playbook(text, "fuzz.yaml")
    except PlaybookError as err:
        assert 1 <= err.line <= text.count("\n") + 1
        assert str(err).startswith(f"fuzz.yaml:{err.line}: ")
        return
    assert book.name == "fuzz" and book.actions
