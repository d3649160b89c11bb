from ncert.config import Settings


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
