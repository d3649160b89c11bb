"""The anomaly model: trained on a synthetic history, an out-of-pattern report
scores higher than the usual ones and fires anomaly.flagged; no model, no score."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from detection import anomaly, service
from ncert.db import transaction, utcnow
from ncert.models import AnomalyScore, Incident, PlaybookFiring, StoredModel
from ncert.records import IncidentRecord
from ncert.services import incidents, playbook_runs
from playbooks.conditions import compile_condition
from tests.console.helpers import Console
from tests.detection.conftest import SETTINGS
from tests.detection.history import NOW, backdate, seed

OUTLIER = dict(
    title="Customer database exfiltrated", description="Full dump of the customer database. " * 120,
    category="information-content-security/data-leak", severity=5, reporter_org="gridco",
    indicators=[{"type": "domain-name", "value": f"exfil{i}.example"} for i in range(30)],
)


def _train(world):
    with transaction(world.runtime.sessions) as s:
        return service.train(s, now=NOW)


def _scores(world, refs) -> dict[str, float]:
    with transaction(world.runtime.sessions) as s:
        batch = list(s.scalars(select(Incident).where(Incident.reference.in_(refs))))
        scores = anomaly.score(s, service.system_actor(s), batch, now=NOW)
        return {i.reference: scores[i.id] for i in batch}


def test_an_out_of_pattern_report_scores_higher_than_the_usual_ones(world, installed):
    usual = seed(world, 240)
    model = _train(world)
    assert model.incidents == 240 and model.version == anomaly.MODEL_VERSION
    odd = world.submit(world.operator, **OUTLIER)
    backdate(world, odd, NOW + timedelta(hours=15), aware_at=NOW - timedelta(days=40))  # Saturday, 03:00
    scores = _scores(world, [*usual, odd])
    typical = sorted(scores[ref] for ref in usual)
    assert scores[odd] == 1.0 > typical[-1]  # stranger than every report of the training window
    assert 0.4 < typical[len(typical) // 2] < 0.6  # the score is a rank: the median report sits mid-way


def test_a_new_anomalous_report_is_scored_at_intake_and_fires_anomaly_flagged(world, installed):
    usual = seed(world, 240)
    _train(world)
    odd = world.submit(world.operator, **OUTLIER)
    with world.runtime.sessions() as s:
        scored = dict(s.execute(select(Incident.reference, AnomalyScore.score)
                                .join(AnomalyScore, AnomalyScore.incident_id == Incident.id)).all())
        incident = s.scalar(select(Incident).where(Incident.reference == odd))
        facts = playbook_runs.facts_for(s, world.operator, [incident], NOW)[incident.id]
    assert scored == {odd: 1.0} and not set(usual) & set(scored)  # scored at intake only
    assert facts.anomaly_score == 1.0 and compile_condition({"fact": "anomaly_score", "gte": 0.99})(facts)
    assert _fired(world, "anomaly-watch") == {(odd, "")}


def test_a_bulk_intake_is_scored_at_commit_and_a_rolled_back_one_not_at_all(world, installed):
    seed(world, 240)
    _train(world)
    with world.runtime.sessions() as s:  # e.g. a TAXII push that fails half-way
        incidents.submit(s, world.operator, IncidentRecord(**{**OUTLIER, "title": "Lost"}), channel="api")
        s.rollback()
        refs = [incidents.submit(s, world.operator, IncidentRecord(**{**OUTLIER, "title": f"Dump {n}"}),
                                 channel="api").incident.reference for n in range(3)]
        assert s.scalar(select(func.count()).select_from(AnomalyScore)) == 0  # not yet: scored together at commit
        s.commit()
    with world.runtime.sessions() as s:
        scored = dict(s.execute(select(Incident.reference, AnomalyScore.score)
                                .join(AnomalyScore, AnomalyScore.incident_id == Incident.id)).all())
    assert scored == dict.fromkeys(refs, 1.0)
    assert _fired(world, "anomaly-watch") == {(ref, "") for ref in refs}


def test_only_reports_at_or_above_the_threshold_fire(world, installed):
    seed(world, 240)
    plain = world.submit(world.operator, reporter_org="centralbank", title="Phishing", category="fraud/phishing",
                         severity=1, description="x" * 120, indicators=[{"type": "ipv4-addr", "value": "198.19.0.1"}])
    odd = world.submit(world.operator, **OUTLIER)  # no model yet: neither is scored at intake
    backdate(world, plain, NOW + timedelta(hours=2), aware_at=NOW - timedelta(hours=3))  # Friday, 14:00
    backdate(world, odd, NOW + timedelta(hours=15), aware_at=NOW - timedelta(days=40))
    _train(world)
    with transaction(world.runtime.sessions) as s:
        batch = list(s.scalars(select(Incident).where(Incident.reference.in_([plain, odd]))))
        by_id = service.score_new(s, service.system_actor(s), batch, NOW + timedelta(days=1))
        scores = {i.reference: by_id[i.id] for i in batch}
    assert scores[plain] < SETTINGS.anomaly_threshold <= scores[odd]
    assert _fired(world, "anomaly-watch") == {(odd, "")}


def _fired(world, playbook) -> set[tuple[str, str]]:
    with world.runtime.sessions() as s:
        return set(s.execute(select(Incident.reference, PlaybookFiring.subject)
                             .join(PlaybookFiring, PlaybookFiring.incident_id == Incident.id)
                             .where(PlaybookFiring.playbook == playbook)).all())


def test_too_little_history_means_no_model_and_no_score(world, installed):
    seed(world, 40)
    assert _train(world) is None
    ref = world.submit(world.operator, **OUTLIER)  # scoring without a model does not fail the intake
    with world.runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(StoredModel)) == 0
        assert s.scalar(select(func.count()).select_from(AnomalyScore)) == 0
        incident = s.scalar(select(Incident).where(Incident.reference == ref))
        assert anomaly.score(s, service.system_actor(s), [incident]) == {}


def test_retraining_makes_a_new_active_version_and_is_deterministic(world):
    refs = seed(world, 150)
    first = _scores_after_training(world, refs)
    second = _scores_after_training(world, refs)
    assert first == second
    with world.runtime.sessions() as s:
        versions = s.execute(select(StoredModel.version, StoredModel.status, StoredModel.data_hash)
                             .where(StoredModel.name == "anomaly").order_by(StoredModel.version)).all()
        assert [(v, status) for v, status, _ in versions] == [(1, "retired"), (2, "active")]
        assert versions[0].data_hash == versions[1].data_hash  # the same history


def _scores_after_training(world, refs):
    with transaction(world.runtime.sessions) as s:
        anomaly.train(s, service.system_actor(s), min_incidents=100, now=NOW)
    return _scores(world, refs)


def test_the_score_is_in_the_incident_json_for_national_staff_only(world, installed, client):
    seed(world, 240)
    _train(world)
    ref = world.submit(world.operator, **OUTLIER)  # reported for gridco
    path, bearer = f"/api/v1/incidents/{ref}", lambda secret: {"Authorization": f"Bearer {secret}"}
    assert client.get(path, headers=bearer(world.key("national-cert", "soc_operator"))).json["anomaly_score"] == 1.0
    assert client.get(path, headers=bearer(world.key("gridco"))).json["anomaly_score"] is None


def test_the_incident_page_shows_the_score_to_national_staff_only(world, installed, app):
    seed(world, 240)
    _train(world)
    ref = world.submit(world.operator, **OUTLIER)

    def page(email: str) -> str:
        console = Console(app.test_client())
        assert console.login(email).status_code == 302
        return console.text(f"/incidents/{ref}")

    shown = page("operator@ncert.test")
    assert '<dd id="fact-anomaly"' in shown and '>1.00 <span class="chip">flagged</span>' in shown
    assert 'id="fact-anomaly"' not in page("analyst@gridco.test")


def test_cli_trains_and_prints_the_model(world, runtime):
    from click.testing import CliRunner

    from ncert.cli import Context, main

    env = {"NCERT_DATABASE_URL": runtime.settings.database_url, "NCERT_DATA_DIR": runtime.settings.data_dir.as_posix(),
           "NCERT_ANOMALY_MIN_INCIDENTS": "100"}

    def train():
        ctx = Context()
        try:
            return CliRunner().invoke(main, ["detection", "train"], env=env, obj=ctx)
        finally:
            ctx._runtime and ctx._runtime.engine.dispose()

    seed(world, 40, now=utcnow())
    result = train()
    assert result.exit_code == 0 and result.output.startswith("no model: fewer than 100 incidents"), result.output
    seed(world, 80, seed=8, now=utcnow())
    result = train()
    assert result.exit_code == 0, result.output
    assert f"model {anomaly.MODEL_VERSION} trained at" in result.output and "on 120 incidents" in result.output
