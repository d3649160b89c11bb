"""The condition language: each operator, None handling, compile-time errors, properties."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncert.taxonomy import RSIT, TLP, OrgKind
from playbooks.conditions import FACTS, OPERATORS, RuleError, compile_condition, dotted, parse_duration
from playbooks.facts import Facts

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)

RANSOM = Facts(
    category_class="malicious-code",
    category_type="infected-system",
    sector="energy",
    sector_criticality=5,
    affected_sectors=frozenset({"energy", "finance"}),
    severity=3,
    tlp="TLP:AMBER",
    indicator_count=4,
    sighting_count=7,
    sectors_sharing_indicator=3,
    anomaly_score=0.85,
    text="LockBit ransomware encrypted SCADA historian; ransom note found",
    reporter_kind="private-operator",
    entity_class="essential",
    reported_at=NOW - timedelta(hours=10),
    aware_at=NOW - timedelta(hours=30),
    now=NOW,
)


def holds(cond, facts=RANSOM) -> bool:
    return compile_condition(cond)(facts)


@pytest.mark.parametrize(
    "cond, expected",
    [
        ({"fact": "category", "in": ["malicious-code/infected-system"]}, True),
        ({"fact": "category", "eq": "malicious-code/c2-server"}, False),
        ({"fact": "category_class", "eq": "malicious-code"}, True),
        ({"fact": "category_type", "ne": "infected-system"}, False),
        ({"fact": "sector", "in": ["energy", "health"]}, True),
        ({"fact": "sector", "not_in": ["energy"]}, False),
        ({"fact": "sector_criticality", "gte": 4}, True),
        ({"fact": "sector_criticality", "lt": 5}, False),
        ({"fact": "severity", "gte": 3}, True),
        ({"fact": "severity", "gt": 3}, False),
        ({"fact": "severity", "lte": 3}, True),
        ({"fact": "severity", "in": [4, 5]}, False),
        ({"fact": "tlp", "eq": "amber"}, True),
        ({"fact": "tlp", "gte": "TLP:GREEN"}, True),
        ({"fact": "tlp", "gte": "TLP:AMBER+STRICT"}, False),
        ({"fact": "tlp", "lt": "TLP:RED"}, True),
        ({"fact": "indicator_count", "gte": 1}, True),
        ({"fact": "sighting_count", "gt": 10}, False),
        ({"fact": "sectors_sharing_indicator", "gte": 3}, True),
        ({"fact": "affected_sector_count", "gte": 2}, True),
        ({"fact": "affected_sectors", "contains": "finance"}, True),
        ({"fact": "affected_sectors", "contains_any": ["health", "government"]}, False),
        ({"fact": "affected_sectors", "contains_all": ["energy", "finance"]}, True),
        ({"fact": "anomaly_score", "gte": 0.8}, True),
        ({"fact": "anomaly_score", "gte": 0.9}, False),
        ({"fact": "text", "contains_any": ["ransom*"]}, True),
        ({"fact": "text", "contains_any": ["LOCKBIT"]}, True),
        ({"fact": "text", "contains_any": ["lock"]}, False),  # whole words only
        ({"fact": "text", "contains_all": ["ransom note", "scada"]}, True),
        ({"fact": "text", "contains_all": ["ransom", "phishing"]}, False),
        ({"fact": "reporter_kind", "eq": "private-operator"}, True),
        ({"fact": "entity_class", "eq": "important"}, False),
        ({"fact": "reported_at", "within": "72h"}, True),
        ({"fact": "reported_at", "within": "9h"}, False),
        ({"fact": "aware_at", "older_than": "1d"}, True),
        ({"fact": "aware_at", "older_than": "2d"}, False),
    ],
)
def test_leaf_tests(cond, expected):
    assert holds(cond) is expected


def test_combinators():
    high = {"fact": "severity", "gte": 3}
    phishing = {"fact": "category_type", "eq": "phishing"}
    assert holds({"all": [high, {"not": phishing}]})
    assert not holds({"all": [high, phishing]})
    assert holds({"any": [phishing, high]})
    assert not holds({"any": [phishing, {"not": high}]})
    assert holds({"not": {"not": high}})


def test_unknown_facts_are_false_for_every_operator_even_negated_ones():
    empty = Facts()
    assert not holds({"fact": "severity", "ne": 3}, empty)
    assert not holds({"fact": "sector", "not_in": ["energy"]}, empty)
    assert not holds({"fact": "anomaly_score", "lt": 0.5}, empty)
    assert not holds({"fact": "reported_at", "within": "72h"}, empty)
    assert not holds({"fact": "text", "contains_any": ["x"]}, empty)
    # "not" of an unknown test is true: absent evidence is not evidence
    assert holds({"not": {"fact": "severity", "gte": 3}}, empty)


def test_time_tests_exclude_the_future_and_need_a_clock():
    future = Facts(reported_at=NOW + timedelta(hours=1), now=NOW)
    assert not holds({"fact": "reported_at", "within": "72h"}, future)
    no_clock = Facts(reported_at=NOW)
    assert not holds({"fact": "reported_at", "within": "72h"}, no_clock)
    naive = Facts(reported_at=datetime(2026, 3, 10, 11), now=NOW)
    assert not holds({"fact": "reported_at", "within": "72h"}, naive)


def test_durations():
    assert parse_duration("72h") == timedelta(hours=72)
    assert parse_duration(" 30m ") == timedelta(minutes=30)
    assert parse_duration("2w") == timedelta(days=14)
    for bad in ("72", 72, "0h", "3y", "h", None):
        with pytest.raises(ValueError):
            parse_duration(bad)


@pytest.mark.parametrize(
    "cond, where, message",
    [
        ([], (), "a condition must be a mapping, got list"),
        ({}, (), "empty condition"),
        ({"fact": "severity"}, (), "needs exactly one operator, got no operator"),
        ({"fact": "severity", "gte": 1, "lte": 4}, (), "needs exactly one operator, got 2 operators"),
        ({"fact": "colour", "eq": "red"}, ("fact",), "unknown fact 'colour'"),
        ({"fact": "severity", "contains_any": [1]}, ("contains_any",),
         "operator 'contains_any' does not apply to 'severity'"),
        ({"fact": "severity", "gte": "3"}, ("gte",), "expected a number, got string"),
        ({"fact": "severity", "gte": True}, ("gte",), "expected a number, got boolean"),
        ({"fact": "severity", "gte": 9}, ("gte",), "9 is out of range; expected between 0 and 5"),
        ({"fact": "severity", "eq": 2.5}, ("eq",), "expected a whole number"),
        ({"fact": "anomaly_score", "gte": 1.5}, ("gte",), "out of range"),
        ({"fact": "severity", "in": 3}, ("in",), "'in' takes a non-empty list, got number"),
        ({"fact": "severity", "in": []}, ("in",), "'in' takes a non-empty list, got list"),
        ({"fact": "severity", "eq": [3]}, ("eq",), "'eq' takes a single value, got a list"),
        ({"fact": "category", "in": ["malicious-code"]}, ("in", 0), "must be 'class/type'"),
        ({"fact": "category", "eq": "malicious-code/phishing"}, ("eq",), "has no type 'phishing'"),
        ({"fact": "category_class", "eq": "malware"}, ("eq",), "unknown RSIT class 'malware'"),
        ({"fact": "tlp", "eq": "TLP:PURPLE"}, ("eq",), "unknown TLP label"),
        ({"fact": "reporter_kind", "eq": "company"}, ("eq",), "unknown organisation kind 'company'"),
        ({"fact": "entity_class", "eq": "vital"}, ("eq",), "unknown NIS2 entity class"),
        ({"fact": "sector", "eq": "Energy Sector"}, ("eq",), "is not a sector slug"),
        ({"fact": "text", "contains_any": ["ok", "  *"]}, ("contains_any", 1), "has no letters or digits"),
        ({"fact": "reported_at", "within": 72}, ("within",), "expected a duration like '72h'"),
        ({"all": []}, ("all",), "'all' needs a non-empty list of conditions, got list"),
        ({"any": {"fact": "severity", "gte": 1}}, ("any",), "got mapping"),
        ({"all": [{"fact": "severity", "gte": 1}], "fact": "x"}, ("fact",), "cannot be combined"),
        ({"severity": 3}, (), "expected 'all', 'any', 'not' or 'fact', got severity"),
        ({"all": [{"fact": "severity", "gte": 1}, {"not": {"fact": "tlp", "eq": 1}}]},
         ("all", 1, "not", "eq"), "expected a string, got number"),
    ],
)
def test_malformed_conditions_are_rejected_with_their_location(cond, where, message):
    with pytest.raises(RuleError) as caught:
        compile_condition(cond)
    assert caught.value.where == where
    assert message in caught.value.what


def test_nesting_is_bounded():
    cond: dict = {"fact": "severity", "gte": 1}
    for _ in range(40):
        cond = {"not": cond}
    with pytest.raises(RuleError, match="nested more than 32 levels"):
        compile_condition(cond)


def test_error_location_reads_as_a_path():
    assert dotted(("when", "all", 1, "not", "eq")) == "when.all[1].not.eq"
    assert str(RuleError(("when", "any", 0), "boom")) == "when.any[0]: boom"
    assert str(RuleError((), "boom")) == "boom"


# --- properties -----------------------------------------------------------------

_times = st.none() | st.datetimes(timezones=st.none() | st.just(timezone.utc))
_strings = st.none() | st.text(max_size=30)
_any_facts = st.builds(
    Facts,
    category_class=st.none() | st.sampled_from(list(RSIT)) | st.text(max_size=10),
    category_type=_strings,
    category_confirmed=st.none() | st.booleans(),
    sector=_strings,
    sector_criticality=st.none() | st.integers(-10, 10),
    affected_sectors=st.frozensets(st.text(max_size=10), max_size=4),
    severity=st.none() | st.integers(-10, 10),
    severity_hint=st.none() | st.integers(-10, 10),
    tlp=st.none() | st.sampled_from([t.value for t in TLP]) | st.text(max_size=12),
    indicator_count=st.integers(-5, 10**6),
    sighting_count=st.integers(-5, 10**6),
    sectors_sharing_indicator=st.integers(-5, 100),
    anomaly_score=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    text=st.text(max_size=200),
    reporter_kind=st.none() | st.sampled_from(list(OrgKind)) | st.text(max_size=10),
    entity_class=st.none() | st.sampled_from(["essential", "important"]) | st.text(max_size=10),
    reported_at=_times,
    aware_at=_times,
    now=_times,
)

_VALUES = {
    "category": st.sampled_from(["malicious-code/infected-system", "fraud/phishing", "availability/ddos"]),
    "category_class": st.sampled_from(list(RSIT)),
    "category_type": st.sampled_from(["phishing", "ddos", "data-leak"]),
    "category_confirmed": st.booleans(),
    "sector": st.sampled_from(["energy", "finance", "health"]),
    "reporter_kind": st.sampled_from(list(OrgKind)),
    "entity_class": st.sampled_from(["essential", "important"]),
    "tlp": st.sampled_from(["clear", "TLP:AMBER", "TLP:RED"]),
    "severity": st.integers(0, 5),
    "severity_hint": st.integers(0, 5),
    "sector_criticality": st.integers(1, 5),
    "indicator_count": st.integers(0, 50),
    "sighting_count": st.integers(0, 50),
    "sectors_sharing_indicator": st.integers(0, 10),
    "affected_sector_count": st.integers(0, 10),
    "anomaly_score": st.floats(0, 1),
    "affected_sectors": st.sampled_from(["energy", "finance"]),
    "text": st.sampled_from(["ransom*", "lockbit", "data breach", "ü"]),
    "reported_at": st.sampled_from(["1h", "72h", "30d"]),
    "aware_at": st.sampled_from(["24h", "2w"]),
}


@st.composite
def _leaf(draw):
    fact = draw(st.sampled_from(sorted(FACTS)))
    op, (takes_list, _) = draw(st.sampled_from(sorted(OPERATORS[FACTS[fact].kind].items())))
    value = draw(st.lists(_VALUES[fact], min_size=1, max_size=3)) if takes_list else draw(_VALUES[fact])
    return {"fact": fact, op: value}


_conditions = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(cond=_conditions, facts=_any_facts)
def test_evaluation_never_raises_on_arbitrary_facts(cond, facts):
    assert compile_condition(cond)(facts) in (True, False)


_yamlish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["all", "any", "not", "fact", "eq", "gte", "in", "within", "contains_any", "x"])
        | st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(data=_yamlish, facts=_any_facts)
def test_arbitrary_data_is_rejected_cleanly_or_compiles_to_a_safe_predicate(data, facts):
    try:
        predicate = compile_condition(data)
    except RuleError as exc:
        assert exc.what
        return
    assert predicate(facts) in (True, False)


@settings(max_examples=200, deadline=None)
@given(cond=_conditions, fact=st.sampled_from(sorted(FACTS)), junk=st.sampled_from(
    [None, True, {"a": 1}, "??", -1, 10**9, "TLP:PURPLE", "x/y"]))
def test_a_corrupted_leaf_is_rejected_at_compile_time(cond, fact, junk):
    kind = FACTS[fact].kind
    op, (takes_list, _) = sorted(OPERATORS[kind].items())[0]
    bad_leaf = {"fact": fact, op: [junk] if takes_list else junk}
    accepted = True
    try:
        FACTS[fact].value(junk)
    except ValueError:
        accepted = False
    if accepted:
        return  # e.g. "x/y" is a valid keyword; only invalid values must be refused
    with pytest.raises(RuleError):
        compile_condition({"all": [cond, bad_leaf]})


def test_category_confirmed_is_a_boolean_fact():
    unconfirmed = compile_condition({"fact": "category_confirmed", "eq": False})
    assert unconfirmed(Facts(category_confirmed=False)) and not unconfirmed(Facts(category_confirmed=True))
    assert not unconfirmed(Facts())  # unknown: false
    with pytest.raises(RuleError, match="true or false"):
        compile_condition({"fact": "category_confirmed", "eq": "no"})
