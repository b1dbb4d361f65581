"""Settings: names from the seed, documented in .env.example, bad values name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from pm.server.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    assert [n.upper() for n in Settings.model_fields if f"{n.upper()}=" not in text] == []


def test_seed_names_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SERVER_HOST",
        "SERVER_PORT",
        "DB_PATH",
        "JWT_SECRET",
        "JWT_EXPIRATION_HOURS",
        "CORS_ORIGINS",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.server_port, settings.db_path, settings.jwt_secret) == (
        3000,
        Path("./data"),
        None,
    )
    monkeypatch.setenv("CORS_ORIGINS", "http://a.example, https://b.example/")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    settings = load_settings()
    assert settings.cors_origins == ["http://a.example", "https://b.example"]
    assert settings.log_level == "debug"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SERVER_PORT", "0"),
        ("SERVER_PORT", "http"),
        ("LOG_LEVEL", "loud"),
        ("SQLITE_SYNCHRONOUS", "OFF"),
        ("TENANT_CACHE_SIZE", "-1"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_env_file_is_read_and_must_exist(tmp_path: Path) -> None:
    env = tmp_path / "pm.env"
    env.write_text("SERVER_PORT=4123\n")
    assert load_settings(env).server_port == 4123
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.env")


@pytest.mark.parametrize(
    ("name", "value"), [("WORKERS", "0"), ("WORKERS", "two"), ("BROADCAST_URL", "http://r:6379")]
)
def test_bad_workers_or_broadcast_url_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_broadcast_url_takes_redis_urls_and_empty_means_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BROADCAST_URL", "redis://:secret@cache:6379/2")
    assert load_settings().broadcast_url == "redis://:secret@cache:6379/2"
    monkeypatch.setenv("BROADCAST_URL", "")
    assert load_settings().broadcast_url is None
