"""Bearer token: required everywhere but /health, kept private, replaceable."""

import stat

import pytest

from ambientpose_desktop.cli import main
from ambientpose_desktop.core.errors import AmbientPoseError
from ambientpose_desktop.core.paths import app_paths
from ambientpose_desktop.server.auth import TOKEN_ENV, TokenStore, tokens_match

ENDPOINTS = [("GET", "/tasks"), ("GET", "/tasks/abc"), ("GET", "/tasks/abc/stream"),
             ("GET", "/files/abc/pose.json"), ("DELETE", "/tasks/abc"), ("POST", "/tasks")]


@pytest.mark.parametrize("token", ["", "wrong", "x" * 43])
def test_every_endpoint_but_health_needs_the_token(served, token):
    api = served(runner="recording")
    with api.client(token=token) as client:
        for method, path in ENDPOINTS:
            response = client.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
        assert client.get("/health").status_code == 200
        sent = client.post("/tasks", files={"file": ("a.mp4", b"\0" * 1000)})
        assert sent.status_code == 401
    assert list(api.artefacts.uploads.iterdir()) == [] and api.repo.count() == 0
    with api.client() as client:
        assert client.get("/tasks").status_code == 200
        basic = client.get("/tasks", headers={"Authorization": f"Basic {api.token}"})
        assert basic.status_code == 401


def test_token_file_is_private_and_stable(ambientpose_home):
    tokens = TokenStore(app_paths().config)
    first = tokens.current()
    assert len(first) >= 40 and tokens.current() == first
    assert stat.S_IMODE(tokens.path.stat().st_mode) == 0o600
    second = tokens.regenerate()
    assert second != first and tokens.current() == second
    assert stat.S_IMODE(tokens.path.stat().st_mode) == 0o600


def test_regenerated_token_applies_at_once(served):
    api = served(runner="recording")
    new = TokenStore(app_paths().config).regenerate()
    with api.client() as old_client:
        assert old_client.get("/tasks").status_code == 401
    with api.client(token=new) as client:
        assert client.get("/tasks").status_code == 200


def test_environment_sets_the_token(ambientpose_home, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "lab-secret-123")
    tokens = TokenStore(app_paths().config)
    assert tokens.current() == "lab-secret-123" and not tokens.path.exists()
    with pytest.raises(AmbientPoseError, match=TOKEN_ENV):
        tokens.regenerate()


def test_token_command(ambientpose_home, capsys):
    assert main(["token"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["token"]) == 0 and capsys.readouterr().out.strip() == first
    assert main(["token", "--regenerate"]) == 0
    assert capsys.readouterr().out.strip() not in ("", first)


def test_compare():
    assert tokens_match("abc", "abc") and not tokens_match("abc", "abd")
    assert not tokens_match("", "abc") and not tokens_match("ä", "a")
