"""National severity score: an NCISS-style weighted mean over explainable factors.

CISA's National Cyber Incident Scoring System takes a weighted arithmetic mean
of factor values to give a score from 0 to 100 and maps it to a priority level
(https://www.cisa.gov/nciss/demo). CISA calls the demo's weights notional, so
weights and level thresholds are configuration (``ScoringConfig``). The default
thresholds are the numerical values of the MISP ``priority-level`` taxonomy
(emergency 100, severe 90, high 85, medium 75, low 50, baseline-minor 25,
baseline-negligible 0), read as the least score of each level.

Factor values follow the CISA Federal Incident Notification Guidelines
(functional impact, information impact, recoverability, observed activity).
After the level come the overrides of the standards digest §5.4, then the UK
NCSC category (1-6) and the EU impact-severity colour (MISP ``nis2`` taxonomy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ncert.taxonomy import SEVERITY_LEVELS


def _ladder(*names: str) -> dict[str, float]:
    """Evenly spaced values 0…1 for an ordered list of answers."""
    step = len(names) - 1
    return {name: i / step for i, name in enumerate(names)}


FUNCTIONAL_IMPACT = _ladder(
    "no-impact",
    "no-impact-to-services",
    "minimal-impact-to-non-critical-services",
    "minimal-impact-to-critical-services",
    "significant-impact-to-non-critical-services",
    "denial-of-non-critical-services",
    "significant-impact-to-critical-services",
    "denial-of-critical-services",  # or loss of control
)
INFORMATION_IMPACT = _ladder(
    "no-impact",
    "suspected-but-not-identified",
    "privacy-data-breach",
    "proprietary-information-breach",
    "destruction-of-non-critical-systems",
    "critical-systems-data-breach",
    "core-credential-compromise",
    "destruction-of-critical-system",
)
RECOVERABILITY = _ladder("regular", "supplemented", "extended", "not-recoverable")
OBSERVED_ACTIVITY = _ladder("prepare", "engage", "presence", "effect")
POTENTIAL_IMPACT = _ladder("none", "low", "moderate", "high", "severe")

SCALES: dict[str, dict[str, float]] = {
    "functional_impact": FUNCTIONAL_IMPACT,
    "information_impact": INFORMATION_IMPACT,
    "recoverability": RECOVERABILITY,
    "observed_activity": OBSERVED_ACTIVITY,
    "potential_impact": POTENTIAL_IMPACT,
}
FACTORS = (
    "functional_impact",
    "information_impact",
    "recoverability",
    "sector_criticality",
    "cross_sector_spread",
    "observed_activity",
    "potential_impact",
)
OUTLOOKS = ("improving", "stable", "worsening")
ENTITY_CLASSES = ("essential", "important")
LARGE_SCALE_CANDIDATE = "large-scale candidate"


@dataclass(frozen=True)
class ScoringConfig:
    """Weights per factor and the least score of each level (5 … 0)."""

    weights: Mapping[str, float] = field(default_factory=lambda: {
        "functional_impact": 20,
        "information_impact": 15,
        "recoverability": 10,
        "sector_criticality": 15,
        "cross_sector_spread": 15,
        "observed_activity": 15,
        "potential_impact": 10,
    })
    thresholds: Mapping[int, float] = field(default_factory=lambda: {5: 100, 4: 90, 3: 85, 2: 75, 1: 50, 0: 0})
    # The number of affected sectors at which cross-sector spread counts in full.
    spread_saturation: int = 4

    def __post_init__(self) -> None:
        if set(self.weights) != set(FACTORS):
            raise ValueError(f"weights must name exactly the factors {', '.join(FACTORS)}")
        if any(w < 0 for w in self.weights.values()) or not sum(self.weights.values()) > 0:
            raise ValueError("weights must be non-negative and not all zero")
        if set(self.thresholds) != set(SEVERITY_LEVELS) or self.thresholds[0] != 0:
            raise ValueError("thresholds must give a least score for each level 0-5, with level 0 at 0")
        ordered = [self.thresholds[level] for level in sorted(self.thresholds)]
        if ordered != sorted(ordered):
            raise ValueError("thresholds must not decrease as the level rises")
        if self.spread_saturation < 2:
            raise ValueError("spread_saturation must be at least 2 sectors")


@dataclass(frozen=True)
class Assessment:
    """What the analyst (or an adapter) knows about the incident's impact."""

    functional_impact: str = "no-impact"
    information_impact: str = "no-impact"
    recoverability: str = "regular"
    observed_activity: str = "prepare"
    potential_impact: str = "none"
    sector_criticality: int = 1  # 1 … 5
    sectors_affected: int = 1
    member_states_affected: int = 1
    safety_effect: bool = False  # a death, or an effect on safety systems
    entity_class: str | None = None  # NIS2 essential / important
    operations_disrupted: bool = False
    outlook: str | None = None  # improving / stable / worsening over the next 6 h

    def __post_init__(self) -> None:
        for name, scale in SCALES.items():
            if getattr(self, name) not in scale:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; expected one of {', '.join(scale)}")
        if not 1 <= self.sector_criticality <= 5:
            raise ValueError("sector_criticality must be 1-5")
        if self.sectors_affected < 1 or self.member_states_affected < 1:
            raise ValueError("at least one sector and one member state are affected")
        if self.entity_class not in (None, *ENTITY_CLASSES):
            raise ValueError(f"entity_class must be one of {', '.join(ENTITY_CLASSES)} or None")
        if self.outlook not in (None, *OUTLOOKS):
            raise ValueError(f"outlook must be one of {', '.join(OUTLOOKS)} or None")


@dataclass(frozen=True)
class Contribution:
    factor: str
    value: float  # 0 … 1
    weight: float
    contribution: float  # points of the 0-100 score


@dataclass(frozen=True)
class Score:
    score: float  # 0 … 100
    base_level: int  # from the score alone
    level: int  # after overrides
    breakdown: tuple[Contribution, ...]
    overrides: tuple[str, ...]
    flags: tuple[str, ...]
    ncsc_category: int  # 1 (national cyber emergency) … 6 (localised)
    eu_colour: str  # red / yellow / green / white

    @property
    def level_name(self) -> str:
        return SEVERITY_LEVELS[self.level]


def factor_values(a: Assessment, config: ScoringConfig) -> dict[str, float]:
    """Each factor of ``a`` as a value between 0 and 1."""
    values = {name: SCALES[name][getattr(a, name)] for name in SCALES}
    values["sector_criticality"] = (a.sector_criticality - 1) / 4
    values["cross_sector_spread"] = min(1.0, (a.sectors_affected - 1) / (config.spread_saturation - 1))
    return values


def level_of(score: float, config: ScoringConfig) -> int:
    """The highest level whose least score ``score`` reaches."""
    return max(level for level, least in config.thresholds.items() if score >= least)


def ncsc_category(level: int) -> int:
    """UK NCSC category: level 5 ↔ category 1 (national cyber emergency) … level 0 ↔ category 6."""
    return 6 - level


def eu_colour(level: int) -> str:
    """EU impact-severity: red (very large) ≥4, yellow (large) 3, green (minor) 1-2, white (none) 0."""
    return "red" if level >= 4 else "yellow" if level == 3 else "green" if level >= 1 else "white"


def score(a: Assessment, config: ScoringConfig | None = None) -> Score:
    """Score ``a``, map it to a level, apply the overrides and derive the category and colour."""
    config = config or ScoringConfig()
    values = factor_values(a, config)
    total = sum(config.weights.values())
    breakdown = tuple(
        Contribution(name, values[name], config.weights[name], 100 * config.weights[name] * values[name] / total)
        for name in FACTORS
    )
    points = round(sum(c.contribution for c in breakdown), 2)
    base = level_of(points, config)
    level, overrides, flags = base, [], []
    if a.safety_effect and level < 4:
        level = 4
        overrides.append("safety effect: at least level 4")
    large_scale = (a.entity_class == "essential" and a.operations_disrupted) \
        or a.sectors_affected >= 2 or a.member_states_affected >= 2
    if large_scale:
        flags.append(LARGE_SCALE_CANDIDATE)
        if level < 3:
            level = 3
            overrides.append("essential entity disrupted or several sectors or member states: at least level 3")
    if a.outlook == "worsening" and level < 5:
        level += 1
        overrides.append("outlook worsening: one level higher")
    return Score(
        score=points,
        base_level=base,
        level=level,
        breakdown=breakdown,
        overrides=tuple(overrides),
        flags=tuple(flags),
        ncsc_category=ncsc_category(level),
        eu_colour=eu_colour(level),
    )
