"""`serve` and `demo` take their settings from one place: a flag given, else its
``PROFITPOOL_*`` environment variable, else the default declared in Settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import click
import httpx
import pytest
from click.testing import CliRunner, Result

from profitpool.chain.cosign import CosignerKey
from profitpool.cli import main
from profitpool.cli import serve as serve_module
from profitpool.service.settings import Settings
from servers import ThreadServer


def _witness(host: str) -> str:
    """A ``--witness`` value: URL and vkey."""
    return f"https://{host} {CosignerKey.generate(f'{host}/w').verifier().key_string()}"


ENV_WITNESS, FLAG_WITNESS = _witness("env.example"), _witness("flag.example")


class Layers(NamedTuple):
    """One setting: its default, a value from the environment, and a flag that beats it."""

    field: str
    default: Any
    env_text: str
    env_value: Any
    flag: tuple[str, ...]
    flag_value: Any


LAYERS = [
    Layers("db", "sqlite:///profitpool.db", "sqlite:///env.db", "sqlite:///env.db",
           ("--db", "sqlite:///flag.db"), "sqlite:///flag.db"),
    Layers("key", Path("profitpool.key"), "env.key", Path("env.key"),
           ("--key", "flag.key"), Path("flag.key")),
    Layers("data_key", None, "env-data.key", Path("env-data.key"),
           ("--data-key", "flag-data.key"), Path("flag-data.key")),
    Layers("read_db", None, "postgresql://env.example/log", "postgresql://env.example/log",
           ("--read-db", "postgresql://flag.example/log"), "postgresql://flag.example/log"),
    Layers("host", "127.0.0.1", "10.0.0.1", "10.0.0.1", ("--host", "10.0.0.2"), "10.0.0.2"),
    Layers("port", 8000, "8100", 8100, ("--port", "8200"), 8200),
    Layers("workers", 1, "3", 3, ("--workers", "4"), 4),
    Layers("block_entries", 1000, "50", 50, ("--block-entries", "60"), 60),
    Layers("block_wait_ms", 2.0, "5.5", 5.5, ("--block-wait-ms", "7.5"), 7.5),
    Layers("rate", 200.0, "10", 10.0, ("--rate", "20"), 20.0),
    Layers("burst", 400.0, "30", 30.0, ("--burst", "40"), 40.0),
    Layers("auto_burn", True, "false", False, ("--auto-burn",), True),
    Layers("source_url", None, "https://env.example/profitpool.git",
           "https://env.example/profitpool.git",
           ("--source-url", "https://flag.example/profitpool.git"),
           "https://flag.example/profitpool.git"),
    Layers("anchor_rpc", None, "http://env.example:8545", "http://env.example:8545",
           ("--anchor-rpc", "http://flag.example:8545"), "http://flag.example:8545"),
    Layers("anchor_eth_key", None, "env.eth", Path("env.eth"),
           ("--anchor-eth-key", "flag.eth"), Path("flag.eth")),
    Layers("anchor_chain_id", None, "5", 5, ("--anchor-chain-id", "7"), 7),
    Layers("anchor_every_blocks", 100, "10", 10, ("--anchor-every-blocks", "20"), 20),
    Layers("anchor_every_minutes", 60.0, "1.5", 1.5, ("--anchor-every-minutes", "2.5"), 2.5),
    Layers("disclose", True, "false", False, ("--disclose",), True),
    Layers("witnesses", [], json.dumps([ENV_WITNESS]), [ENV_WITNESS],
           ("--witness", FLAG_WITNESS), [FLAG_WITNESS]),
    Layers("webhooks", True, "false", False, ("--webhooks",), True),
    Layers("events", None, "nats://env.example:4222", "nats://env.example:4222",
           ("--events", "nats://flag.example:4222"), "nats://flag.example:4222"),
    Layers("events_stream", "PROFITPOOL", "ENVSTREAM", "ENVSTREAM",
           ("--events-stream", "FLAGSTREAM"), "FLAGSTREAM"),
    Layers("webhook_private_targets", False, "true", True, ("--allow-private-webhooks",),
           True),
    Layers("webhook_timeout_seconds", 10.0, "3", 3.0, ("--webhook-timeout", "4"), 4.0),
    Layers("webhook_retry_hours", 72.0, "1", 1.0, ("--webhook-retry-hours", "2"), 2.0),
]

NO_SETTINGS_IN_THE_ENVIRONMENT = {f"PROFITPOOL_{name.upper()}": None
                                  for name in Settings.model_fields}
"""What the test runner's own environment may hold is unset for each invocation."""


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """The Settings each `serve` or `demo` invocation would serve (nothing is served), run in
    an empty folder."""
    monkeypatch.chdir(tmp_path)
    captured: list[Settings] = []
    monkeypatch.setattr(serve_module, "_serve", captured.append)
    return captured


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, args, env={**NO_SETTINGS_IN_THE_ENVIRONMENT, **(env or {})})
    assert result.exit_code == 0, result.output
    return result


def test_every_setting_with_a_serve_flag_is_in_the_table() -> None:
    flagged = {getattr(param, "setting", None) or serve_module._SHARED_OPTIONS[param.name]
               for param in serve_module.serve_command.params if param.name is not None}
    assert flagged == {layer.field for layer in LAYERS}


@pytest.mark.parametrize("layer", LAYERS, ids=[layer.field for layer in LAYERS])
def test_a_flag_beats_the_environment_which_beats_the_default(
        layer: Layers, served: list[Settings]) -> None:
    env = {f"PROFITPOOL_{layer.field.upper()}": layer.env_text}
    invoke(["serve"])
    invoke(["serve"], env)
    invoke(["serve", *layer.flag], env)
    default, from_env, from_flag = (getattr(settings, layer.field) for settings in served)
    assert default == layer.default == Settings.model_fields[layer.field].default
    assert from_env == layer.env_value
    assert from_flag == layer.flag_value


def test_serve_opens_the_log_the_settings_name(served: list[Settings], tmp_path: Path) -> None:
    invoke(["serve"], {"PROFITPOOL_DB": f"sqlite:///{tmp_path / 'env.db'}",
                       "PROFITPOOL_KEY": str(tmp_path / "env.key")})
    assert (tmp_path / "env.db").exists() and (tmp_path / "env.key").exists()
    assert not (tmp_path / "profitpool.db").exists()


def test_settings_without_a_flag_reach_the_service_from_the_environment(
        served: list[Settings]) -> None:
    result = invoke(["serve"], {"PROFITPOOL_SNAPSHOT_EVERY": "1234",
                                "PROFITPOOL_MAX_BODY_BYTES": "4096",
                                "PROFITPOOL_ANCHOR_POLL_SECONDS": "0.5",
                                "PROFITPOOL_EVENTS_MAX_WAIT_SECONDS": "3",
                                "PROFITPOOL_ORIGIN": "shop.example/points"})
    [settings] = served
    assert (settings.snapshot_every, settings.max_body_bytes, settings.anchor_poll_seconds,
            settings.events_max_wait_seconds) == (1234, 4096, 0.5, 3.0)
    assert "public key: shop.example/points+" in result.output  # the fresh log's name


def test_the_environment_s_body_limit_is_the_app_s(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    apps: list[Any] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: apps.append(app))
    invoke(["serve"], {"PROFITPOOL_MAX_BODY_BYTES": "64", "PROFITPOOL_WEBHOOKS": "false",
                       "PROFITPOOL_DISCLOSE": "false", "PROFITPOOL_AUTO_BURN": "false"})
    [app] = apps
    server = ThreadServer(app, lifespan="on", what="service")
    try:
        json_type = {"Content-Type": "application/json"}
        small = httpx.post(f"{server.url}/v1/orders", content=b"{}", headers=json_type)
        large = httpx.post(f"{server.url}/v1/orders", content=b" " * 65, headers=json_type)
    finally:
        server.stop()
    assert small.status_code == 401  # no key, but the body was let through
    assert (large.status_code, large.json()["error"]) == (413, "payload_too_large")


def test_a_setting_the_environment_gets_wrong_is_one_line_naming_the_variable(
        served: list[Settings]) -> None:
    result = CliRunner().invoke(main, ["serve"], env={**NO_SETTINGS_IN_THE_ENVIRONMENT,
                                                      "PROFITPOOL_PORT": "99999"})
    assert result.exit_code == 1 and served == []
    assert result.output == ("Error: invalid setting in the environment: PROFITPOOL_PORT="
                             "'99999': Input should be less than or equal to 65535\n")
    events = CliRunner().invoke(main, ["serve"], env={**NO_SETTINGS_IN_THE_ENVIRONMENT,
                                                      "PROFITPOOL_EVENTS": "http://x"})
    assert events.exit_code == 2
    assert "Invalid value for PROFITPOOL_EVENTS: 'http://x' is not a NATS URL" in events.output


def test_serve_help_shows_the_defaults_of_settings() -> None:
    command = serve_module.serve_command
    with click.Context(command) as ctx:
        shown = {param.name: param.get_help_extra(ctx).get("default")
                 for param in command.params if isinstance(param, serve_module.SettingOption)}
    assert shown["port"] == "8000" and shown["rate"] == "200.0"
    assert shown["auto_burn"] == "auto-burn" and shown["events_stream"] == "PROFITPOOL"
    for param in command.params:
        if isinstance(param, serve_module.SettingOption) and param.show_default:
            default = Settings.model_fields[param.setting].default
            if not isinstance(default, bool):
                assert shown[param.name] == str(default), param.name


@pytest.mark.parametrize(("field", "env_text", "flag", "expected"), [
    ("host", "10.0.0.1", ("--host", "10.0.0.2"), ("127.0.0.1", "10.0.0.1", "10.0.0.2")),
    ("port", "8100", ("--port", "8200"), (8000, 8100, 8200)),
])
def test_demo_serves_with_the_same_layers(field: str, env_text: str, flag: tuple[str, ...],
                                          expected: tuple[Any, ...],
                                          served: list[Settings]) -> None:
    demo = ["demo", "--members", "3", "--months", "1"]
    env = {f"PROFITPOOL_{field.upper()}": env_text}
    invoke(demo)
    invoke(demo, env)
    invoke([*demo, *flag], env)
    assert tuple(getattr(settings, field) for settings in served) == expected


def test_demo_serves_its_own_log_with_the_other_settings_from_the_environment(
        served: list[Settings]) -> None:
    invoke(["demo", "--members", "3", "--months", "1"],
           {"PROFITPOOL_DB": "sqlite:///elsewhere.db", "PROFITPOOL_RATE": "5"})
    [settings] = served
    assert (settings.db, settings.key) == ("sqlite:///profitpool-demo.db",
                                           Path("profitpool-demo.key"))
    assert settings.rate == 5.0
