"""Registry of pose backends.

Backends are registered by import path and imported only when used, so listing them (for the
Settings dialog or ``--help``) never loads a model runtime.
"""

from __future__ import annotations

import importlib

from ambientpose_desktop.core.errors import BackendUnavailable, InputError
from ambientpose_desktop.pipeline.backends.base import (
    Availability,
    BackendConfig,
    BackendOption,
    PoseBackend,
)

DEFAULT_BACKEND = "embedded"

_REGISTRY: dict[str, str] = {
    "alphapose": "ambientpose_desktop.pipeline.backends.alphapose:AlphaPoseBackend",
    "embedded": "ambientpose_desktop.pipeline.backends.embedded:EmbeddedYoloPose",
    "fake": "ambientpose_desktop.pipeline.backends.fake:FakeBackend",
}


def backend_names() -> list[str]:
    return list(_REGISTRY)


def register(name: str, import_path: str) -> None:
    """Add a backend (``"package.module:Class"``); used by plug-ins and tests."""
    _REGISTRY[name] = import_path


def backend_class(name: str) -> type[PoseBackend]:
    try:
        module_name, class_name = _REGISTRY[name].split(":")
    except KeyError:
        raise InputError(
            f"unknown backend {name!r}; choose one of: {', '.join(_REGISTRY)}"
        ) from None
    return getattr(importlib.import_module(module_name), class_name)


def availability(name: str, config: BackendConfig | None = None) -> Availability:
    try:
        return backend_class(name).availability(config)
    except ImportError as exc:  # the backend module itself needs something missing
        return Availability(False, f"{name}: cannot import {exc.name or exc}")


def create_backend(name: str, config: BackendConfig) -> PoseBackend:
    """A loaded backend, or ``BackendUnavailable`` saying why not."""
    report = availability(name, config)
    if not report.ok:
        raise BackendUnavailable(report.message)
    backend = backend_class(name)(config)
    backend.load()
    return backend


__all__ = [
    "DEFAULT_BACKEND", "Availability", "BackendConfig", "BackendOption", "PoseBackend",
    "availability", "backend_class", "backend_names", "create_backend", "register",
]
