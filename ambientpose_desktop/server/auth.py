"""The API's bearer token: made on first start, kept in the config folder readable only by the
user, compared in constant time. ``AMBIENTPOSE_API_TOKEN`` fixes it for headless deployments.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from ambientpose_desktop.core.atomic import atomic_write_text
from ambientpose_desktop.core.errors import AmbientPoseError

TOKEN_FILE = "api_token"
TOKEN_ENV = "AMBIENTPOSE_API_TOKEN"


class TokenStore:
    """The token file ``<config>/api_token`` (mode 0600), unless the environment sets one."""

    def __init__(self, config_dir: Path) -> None:
        self.path = Path(config_dir) / TOKEN_FILE

    @property
    def from_environment(self) -> bool:
        return bool(os.environ.get(TOKEN_ENV, "").strip())

    def current(self) -> str:
        """The token clients must send; created on first use."""
        if self.from_environment:
            return os.environ[TOKEN_ENV].strip()
        try:
            token = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            token = ""
        return token or self.regenerate()

    def regenerate(self) -> str:
        """A new random token replaces the old one (clients using it get 401 from now on)."""
        if self.from_environment:
            raise AmbientPoseError(
                f"the token is set by {TOKEN_ENV} in the environment; change it there")
        token = secrets.token_urlsafe(32)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600, so the token is never readable by others, not even for a moment; chmod
        # undoes a umask that would take the owner's own bits away.
        atomic_write_text(self.path, token + "\n", mode=0o600)
        os.chmod(self.path, 0o600)
        return token


def tokens_match(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def bearer_dependency(current_token: Callable[[], str]) -> Callable[..., None]:
    """A FastAPI dependency that accepts only ``Authorization: Bearer <current_token()>``."""
    # Imported here so that `ambientpose token` works without the server extra installed.
    from fastapi import Depends, HTTPException, status
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    scheme = HTTPBearer(auto_error=False, description="the token from `ambientpose token`")

    def require_token(
        credentials: HTTPAuthorizationCredentials | None = Depends(scheme),  # noqa: B008
    ) -> None:
        if credentials is None or not tokens_match(credentials.credentials, current_token()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "missing or wrong bearer token",
                headers={"WWW-Authenticate": "Bearer"})

    return require_token
