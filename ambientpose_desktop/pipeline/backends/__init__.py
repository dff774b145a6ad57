"""Registry of pose backends.

Backends are registered by import path and imported only when used, so listing them (for the
Settings dialog or ``--help``) never loads a model runtime.
"""

from __future__ import annotations

import importlib
from dataclasses import replace

from ambientpose_desktop.core.errors import BackendUnavailable, InputError
from ambientpose_desktop.core.params import DEFAULT_BACKEND, TaskParams
from ambientpose_desktop.pipeline.backends.base import (
    Availability,
    BackendConfig,
    BackendOption,
    PoseBackend,
)

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


def check_task_params(params: TaskParams, as_flags: bool = False) -> TaskParams:
    """``params`` with every value converted and inside its bounds, the backend known and
    its options valid together with the common settings, or ``InputError`` saying which
    value is wrong and what is allowed. The CLI (exit 2), the API (422), the Settings dialog
    and the worker (before any work) all call this one check; ``as_flags`` names parameters
    by their command-line flags."""
    checked = params.checked(as_flags)
    cls = backend_class(checked.backend)
    values = cls.check_config(BackendConfig.from_params(checked))
    return replace(checked, backend_options={k: values[k] for k in checked.backend_options})


def create_backend(name: str, config: BackendConfig) -> PoseBackend:
    """A loaded backend, or ``BackendUnavailable`` saying why not."""
    report = availability(name, config)
    if not report.ok:
        raise (InputError if report.bad_input else BackendUnavailable)(report.message)
    backend = backend_class(name)(config)
    backend.load()
    return backend


__all__ = [
    "DEFAULT_BACKEND", "Availability", "BackendConfig", "BackendOption", "PoseBackend",
    "availability", "backend_class", "backend_names", "check_task_params", "create_backend",
    "register",
]
