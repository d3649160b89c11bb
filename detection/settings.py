"""Detection settings, read from the environment like ``ncert.config`` (each has
an ``NCERT_`` variable and a default that works on a bare machine)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class DetectionSettings:
    national_org: str = "national-cert"
    # An indicator carried by more incidents than this within the sharing window
    # is treated as noise and not correlated (see detection.correlation).
    correlation_max_incidents: int = 50
    # Incidents scoring at least this fire anomaly.flagged: the score is the share of
    # the training window's reports less anomalous (detection.anomaly), so 0.99 flags about 1 %.
    anomaly_threshold: float = 0.99
    # Fewer incidents than this in the training window: no model, no scores.
    anomaly_min_incidents: int = 200

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "DetectionSettings":
        env = dict(os.environ if env is None else env)
        default = cls()
        return cls(
            national_org=env.get("NCERT_NATIONAL_ORG", default.national_org),
            correlation_max_incidents=int(env.get("NCERT_CORRELATION_MAX_INCIDENTS",
                                                  default.correlation_max_incidents)),
            anomaly_threshold=float(env.get("NCERT_ANOMALY_THRESHOLD", default.anomaly_threshold)),
            anomaly_min_incidents=int(env.get("NCERT_ANOMALY_MIN_INCIDENTS", default.anomaly_min_incidents)),
        )
