"""Settings: defaults, parsing, and errors that name the variable."""

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main
from service.settings import ENV, Settings, SettingsError

EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})

    assert settings.redis_url is None and settings.embedded_redis
    assert settings.port == 8000
    assert settings.data_dir == Path("var")


def test_values_are_parsed_from_the_environment() -> None:
    env = {
        "REDIS_URL": "redis://localhost:7000/1",
        "MODQ_PORT": "9000",
        "MODQ_REJECT_ABOVE": "0.95",
    }

    settings = Settings.from_env(env)

    assert (settings.redis_url, settings.port, settings.reject_above) == (
        "redis://localhost:7000/1",
        9000,
        0.95,
    )
    assert not settings.embedded_redis


def test_settings_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Settings.from_env({}).port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "env, variable",
    [
        ({"MODQ_PORT": "eighty"}, "MODQ_PORT"),
        ({"MODQ_PORT": "70000"}, "MODQ_PORT"),
        ({"MODQ_API_WORKERS": "0"}, "MODQ_API_WORKERS"),
        ({"MODQ_SCORING_WORKERS": "-1"}, "MODQ_SCORING_WORKERS"),
        ({"MODQ_REJECT_ABOVE": "high"}, "MODQ_REJECT_ABOVE"),
        ({"MODQ_APPROVE_BELOW": "1.5"}, "MODQ_APPROVE_BELOW"),
        ({"MODQ_APPROVE_BELOW": "0.9", "MODQ_REJECT_ABOVE": "0.1"}, "MODQ_APPROVE_BELOW"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"MODQ_LOG_LEVEL": "LOUD"}, "MODQ_LOG_LEVEL"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(env)


def test_cli_stops_on_a_bad_value_naming_it() -> None:
    result = CliRunner().invoke(main, ["worker"], env={"MODQ_BATCH_SIZE": "lots"})

    assert result.exit_code == 2
    assert "MODQ_BATCH_SIZE" in result.output


def test_env_example_lists_every_variable() -> None:
    listed = {
        line.split("=", 1)[0].lstrip("# ")
        for line in EXAMPLE.read_text().splitlines()
        if "=" in line
    }

    assert set(ENV.values()) <= listed
