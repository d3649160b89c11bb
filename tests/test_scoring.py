"""National severity score: factors, weights, thresholds, overrides, category and colour."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncert.scoring import (
    FACTORS,
    FUNCTIONAL_IMPACT,
    INFORMATION_IMPACT,
    LARGE_SCALE_CANDIDATE,
    OBSERVED_ACTIVITY,
    POTENTIAL_IMPACT,
    RECOVERABILITY,
    Assessment,
    ScoringConfig,
    eu_colour,
    level_of,
    ncsc_category,
    score,
)

WORST = Assessment(
    functional_impact="denial-of-critical-services",
    information_impact="destruction-of-critical-system",
    recoverability="not-recoverable",
    observed_activity="effect",
    potential_impact="severe",
    sector_criticality=5,
    sectors_affected=4,
)


def test_nothing_scores_zero_and_is_baseline():
    result = score(Assessment())
    assert (result.score, result.level, result.level_name) == (0, 0, "Baseline")
    assert (result.ncsc_category, result.eu_colour, result.overrides, result.flags) == (6, "white", (), ())


def test_everything_at_worst_scores_100_and_is_emergency():
    result = score(WORST)
    assert (result.score, result.base_level, result.level) == (100, 5, 5)
    assert (result.ncsc_category, result.eu_colour) == (1, "red")
    assert result.flags == (LARGE_SCALE_CANDIDATE,)


def test_breakdown_explains_the_score():
    a = Assessment(functional_impact="significant-impact-to-critical-services", recoverability="extended",
                   observed_activity="presence", sector_criticality=3)
    result = score(a)
    rows = {c.factor: c for c in result.breakdown}
    assert [c.factor for c in result.breakdown] == list(FACTORS)
    assert rows["functional_impact"].value == pytest.approx(6 / 7)
    assert rows["functional_impact"].weight == 20
    assert rows["functional_impact"].contribution == pytest.approx(100 * 20 * (6 / 7) / 100)
    assert rows["recoverability"].value == pytest.approx(2 / 3)
    assert rows["sector_criticality"].value == 0.5
    assert rows["cross_sector_spread"].value == 0
    assert rows["information_impact"].contribution == 0
    assert result.score == pytest.approx(sum(c.contribution for c in result.breakdown), abs=0.01)
    assert result.score == pytest.approx(17.14 + 6.67 + 7.5 + 10, abs=0.01)


def test_cross_sector_spread_saturates():
    values = [score(Assessment(sectors_affected=n)).breakdown[4].value for n in (1, 2, 3, 4, 9)]
    assert values == pytest.approx([0, 1 / 3, 2 / 3, 1, 1])


def test_weights_and_thresholds_are_configuration():
    only_activity = ScoringConfig(weights={f: (1 if f == "observed_activity" else 0) for f in FACTORS},
                                  thresholds={5: 95, 4: 80, 3: 60, 2: 40, 1: 20, 0: 0})
    result = score(Assessment(observed_activity="presence"), only_activity)
    assert result.score == pytest.approx(66.67, abs=0.01)
    assert result.level == 3


@pytest.mark.parametrize(
    "points, level",
    [(0, 0), (49.99, 0), (50, 1), (74.9, 1), (75, 2), (85, 3), (89.9, 3), (90, 4), (99.99, 4), (100, 5)],
)
def test_default_thresholds_are_the_misp_priority_values(points, level):
    assert level_of(points, ScoringConfig()) == level


@pytest.mark.parametrize(
    "config, message",
    [
        (dict(weights={"functional_impact": 1}), "exactly the factors"),
        (dict(weights={f: 0 for f in FACTORS}), "not all zero"),
        (dict(weights={f: (-1 if f == "recoverability" else 1) for f in FACTORS}), "non-negative"),
        (dict(thresholds={5: 100, 4: 90, 3: 85, 2: 75, 1: 50}), "each level 0-5"),
        (dict(thresholds={5: 100, 4: 90, 3: 95, 2: 75, 1: 50, 0: 0}), "must not decrease"),
        (dict(spread_saturation=1), "at least 2"),
    ],
)
def test_bad_configuration_is_refused(config, message):
    with pytest.raises(ValueError, match=message):
        ScoringConfig(**config)


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(functional_impact="catastrophic"), "unknown functional_impact 'catastrophic'"),
        (dict(recoverability="never"), "unknown recoverability"),
        (dict(sector_criticality=0), "sector_criticality must be 1-5"),
        (dict(sectors_affected=0), "at least one sector"),
        (dict(entity_class="vital"), "entity_class"),
        (dict(outlook="grim"), "outlook"),
    ],
)
def test_bad_assessments_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        Assessment(**fields)


def test_safety_effect_means_at_least_severe():
    result = score(Assessment(safety_effect=True))
    assert (result.base_level, result.level) == (0, 4)
    assert result.overrides == ("safety effect: at least level 4",)
    assert (result.ncsc_category, result.eu_colour) == (2, "red")


@pytest.mark.parametrize(
    "fields",
    [
        dict(entity_class="essential", operations_disrupted=True),
        dict(sectors_affected=2),
        dict(member_states_affected=2),
    ],
)
def test_large_scale_candidates_are_at_least_high(fields):
    result = score(Assessment(**fields))
    assert result.level == 3 and result.flags == (LARGE_SCALE_CANDIDATE,)
    assert (result.ncsc_category, result.eu_colour) == (3, "yellow")


def test_near_misses_of_the_large_scale_override():
    for fields in (dict(entity_class="important", operations_disrupted=True),
                   dict(entity_class="essential", operations_disrupted=False)):
        result = score(Assessment(**fields))
        assert result.level == 0 and result.flags == () and result.overrides == ()


def test_worsening_outlook_adds_one_level_after_the_other_overrides():
    result = score(Assessment(safety_effect=True, sectors_affected=2, outlook="worsening"))
    assert result.level == 5
    assert result.overrides == ("safety effect: at least level 4", "outlook worsening: one level higher")
    assert score(Assessment(outlook="stable")).level == 0
    assert score(replace(WORST, outlook="worsening")).level == 5  # capped


def test_category_and_colour_follow_the_level():
    assert [ncsc_category(level) for level in range(6)] == [6, 5, 4, 3, 2, 1]
    assert [eu_colour(level) for level in range(6)] == ["white", "green", "green", "yellow", "red", "red"]


@given(
    st.builds(
        Assessment,
        functional_impact=st.sampled_from(list(FUNCTIONAL_IMPACT)),
        information_impact=st.sampled_from(list(INFORMATION_IMPACT)),
        recoverability=st.sampled_from(list(RECOVERABILITY)),
        observed_activity=st.sampled_from(list(OBSERVED_ACTIVITY)),
        potential_impact=st.sampled_from(list(POTENTIAL_IMPACT)),
        sector_criticality=st.integers(1, 5),
        sectors_affected=st.integers(1, 20),
        member_states_affected=st.integers(1, 5),
        safety_effect=st.booleans(),
        entity_class=st.sampled_from([None, "essential", "important"]),
        operations_disrupted=st.booleans(),
        outlook=st.sampled_from([None, "improving", "stable", "worsening"]),
    )
)
def test_score_is_bounded_and_overrides_only_raise(a):
    result = score(a)
    assert 0 <= result.score <= 100
    assert result.base_level <= result.level <= 5
    assert result.ncsc_category == 6 - result.level
