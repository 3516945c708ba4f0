"""Settings from the environment; secrets generated once into the instance folder."""

import json
import re
import stat
from pathlib import Path

from core import settings
from core.app import create_app

README = Path(__file__).resolve().parent.parent / "README.md"


def test_secrets_are_generated_private_and_reused(tmp_path):
    first = settings.load_or_create_secrets(tmp_path)
    second = settings.load_or_create_secrets(tmp_path)
    assert first == second
    assert set(first) == {"SECRET_KEY", "SECURITY_PASSWORD_SALT", "SUPPRESSION_KEY"}
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600


def test_environment_overrides_generated_secrets_and_database(tmp_path, monkeypatch):
    monkeypatch.setenv("CONSENTDESK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CONSENTDESK_SUPPRESSION_KEY", "from-the-environment")
    monkeypatch.setenv("CONSENTDESK_LOAD_ENTRYPOINTS", "0")
    app = create_app()
    assert app.config["SUPPRESSION_KEY"] == "from-the-environment"
    assert app.config["LOAD_ENTRYPOINTS"] is False
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'consentdesk.db'}"
    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert stored["SUPPRESSION_KEY"] != "from-the-environment"


def test_readme_documents_every_environment_variable():
    documented = set(re.findall(r"^\| `(CONSENTDESK_[A-Z_]+)`", README.read_text(), re.M))
    assert documented == set(settings.ENVIRONMENT)
