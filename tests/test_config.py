import re

import pytest

from ncert.config import ConfigError, Settings


def test_defaults_and_persistent_secret(tmp_path):
    s = Settings.from_env({"NCERT_DATA_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'ncert.db'}"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings.from_env({"NCERT_DATA_DIR": str(tmp_path)}).secret_key == s.secret_key


def test_describe_hides_secrets(tmp_path):
    s = Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), "NCERT_SECRET_KEY": "hunter2-secret",
                           "NCERT_DATABASE_URL": "postgresql+psycopg://ncert:pa55word@db/ncert"})
    text = "\n".join(f"{k}={v}" for k, v in s.describe().items())
    assert "hunter2-secret" not in text and "pa55word" not in text
    assert "NCERT_DATABASE_URL=postgresql+psycopg://ncert:***@db/ncert" in text


def test_scoring_defaults_to_the_scoring_module(tmp_path):
    from ncert.scoring import ScoringConfig

    assert Settings.from_env({"NCERT_DATA_DIR": str(tmp_path)}).scoring == ScoringConfig()


def test_scoring_weights_thresholds_and_spread_from_the_environment(tmp_path):
    s = Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), "NCERT_SCORING_WEIGHTS": "functional_impact=40, recoverability=0",
                           "NCERT_SCORING_THRESHOLDS": "1=40,2=70", "NCERT_SCORING_SPREAD_SATURATION": "3"})
    assert s.scoring.weights["functional_impact"] == 40 and s.scoring.weights["recoverability"] == 0
    assert s.scoring.weights["potential_impact"] == 10  # unnamed factors keep their defaults
    assert dict(s.scoring.thresholds) == {5: 100, 4: 90, 3: 85, 2: 70, 1: 40, 0: 0}
    assert s.scoring.spread_saturation == 3
    described = s.describe()
    assert described["NCERT_SCORING_WEIGHTS"].startswith("functional_impact=40,information_impact=15,")
    assert described["NCERT_SCORING_THRESHOLDS"] == "5=100,4=90,3=85,2=70,1=40,0=0"
    assert described["NCERT_SCORING_SPREAD_SATURATION"] == "3"


@pytest.mark.parametrize("variable, value, message", [
    ("NCERT_SCORING_WEIGHTS", "blast_radius=10", "must name exactly the factors"),
    ("NCERT_SCORING_WEIGHTS", "functional_impact", "is not <name>=<finite number>"),
    ("NCERT_SCORING_WEIGHTS", "functional_impact=-1", "non-negative"),
    ("NCERT_SCORING_WEIGHTS", "functional_impact=nan", "finite number"),
    ("NCERT_SCORING_THRESHOLDS", "3=95", "must not decrease"),
    ("NCERT_SCORING_THRESHOLDS", "high=85", "is not <name>=<finite number>"),
    ("NCERT_SCORING_SPREAD_SATURATION", "1", "at least 2"),
    ("NCERT_SCORING_SPREAD_SATURATION", "many", "not a whole number"),
])
def test_invalid_scoring_settings_fail_at_startup_naming_the_variable(tmp_path, variable, value, message):
    with pytest.raises(ConfigError, match=f"^{variable}: .*{re.escape(message)}"):
        Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), variable: value})


def test_sign_in_and_session_settings_from_the_environment(tmp_path):
    s = Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), "NCERT_SIGNIN_ACCOUNT_LIMIT": "3",
                           "NCERT_SESSION_IDLE_S": "600", "NCERT_TRUSTED_PROXIES": "2"})
    assert (s.signin_account_limit, s.signin_address_limit, s.session_idle_s, s.trusted_proxies) == (3, 50, 600, 2)
    assert s.describe()["NCERT_SESSION_ABSOLUTE_S"] == str(12 * 3600)


@pytest.mark.parametrize("variable, value", [("NCERT_SIGNIN_WINDOW_S", "0"), ("NCERT_SESSION_IDLE_S", "half an hour"),
                                             ("NCERT_TRUSTED_PROXIES", "-1")])
def test_invalid_sign_in_settings_fail_at_startup_naming_the_variable(tmp_path, variable, value):
    with pytest.raises(ConfigError, match=f"^{variable}: "):
        Settings.from_env({"NCERT_DATA_DIR": str(tmp_path), variable: value})
