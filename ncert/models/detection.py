"""What the detectors leave behind: per-incident anomaly scores and the trained model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ncert.db import Base


class AnomalyScore(Base):
    """One incident's anomaly signals: the model's score at intake and, when its
    sector's daily volume spiked, the robust z-score of that spike."""

    __tablename__ = "anomaly_scores"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)  # 0 … 1, the isolation forest's anomaly score
    model_version: Mapped[str | None] = mapped_column(String(64))
    scored_at: Mapped[datetime | None]
    volume_z: Mapped[float | None] = mapped_column(Float)  # the sector's robust z-score on the spike day
    volume_flagged_at: Mapped[datetime | None]


class AnomalyModel(Base):
    """The current trained model: scikit-learn's own estimator, pickled by joblib,
    with the feature tables it was trained with. Only the newest row is kept."""

    __tablename__ = "anomaly_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(32))  # random per training: what processes cache the model by
    trained_at: Mapped[datetime]
    incidents: Mapped[int]  # training set size
    blob: Mapped[bytes] = mapped_column(LargeBinary)
