"""`make up` prints a working token per role; `mes-events token` mints more with the same key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from mes_events import cli, devstack
from mes_events.auth import TokenVerifier, terminal_scope
from mes_events.settings import AuthSettings


def verifier(key: str) -> TokenVerifier:
    return TokenVerifier.from_settings(AuthSettings(signing_key=SecretStr(key)))


def test_make_up_keeps_one_key_and_prints_a_token_per_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(devstack, "DATA_DIR", tmp_path)
    monkeypatch.delenv("MES_AUTH_SIGNING_KEY", raising=False)
    env = devstack.auth_env()
    key = (tmp_path / "signing-key").read_text()
    assert stat.S_IMODE((tmp_path / "signing-key").stat().st_mode) == 0o600
    assert env["ORDERS_AUTH__SIGNING_KEY"] == env["SCHEDULER_AUTH__SIGNING_KEY"] == key
    assert "DASHBOARD_AUTH__SIGNING_KEY" not in env
    printed = [line.split() for line in capsys.readouterr().out.splitlines()[1:]]
    assert [scope for _, scope, _ in printed] == [scope for _, scope in devstack.DEV_TOKENS]
    for _, scope, token in printed:
        assert verifier(key).verify(token).scopes == {scope}
    assert verifier(key).verify(env["DASHBOARD_TOKEN"]).scopes == {"read"}
    assert devstack.auth_env()["MES_AUTH_SIGNING_KEY"] == key  # the same key next time


def test_the_token_command_signs_with_the_kept_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in cli.KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    key_file = tmp_path / "signing-key"
    key_file.write_text("k" * 40)
    scope = terminal_scope("CNC-2")
    assert cli.main(["token", "--scope", scope, "--key-file", str(key_file)]) == 0
    principal = verifier("k" * 40).verify(capsys.readouterr().out.strip())
    assert principal.scopes == {scope} and principal.subject == scope
