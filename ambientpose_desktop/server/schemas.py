"""Request and response bodies of the API that are not the task itself (``store.TaskPublic``)."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.tasks import TaskParams, TaskStatus
from ambientpose_desktop.pipeline.backends import BackendConfig, backend_class, backend_names
from ambientpose_desktop.store.models import TaskPublic
from ambientpose_desktop.store.settings import AppSettings

# Options naming files or folders on the workstation are set there, never by a remote client.
_LOCAL_ONLY_KINDS = frozenset({"file", "dir"})


class TaskConfig(BaseModel):
    """The optional ``config`` form field (JSON); what is left out comes from the settings."""

    model_config = ConfigDict(extra="forbid")

    backend: str | None = Field(None, description="pose backend, e.g. embedded, fake, alphapose")
    device: str | None = Field(None, pattern=r"^(auto|cpu|cuda(:\d{1,2})?|mps)$")
    conf: float | None = Field(None, ge=0, le=1, description="person confidence threshold")
    imgsz: int | None = Field(None, ge=32, le=4096, description="model input size in pixels")
    max_frames: int | None = Field(None, ge=1, le=10_000_000)
    overlay_video: bool | None = None
    frames_jpeg: bool | None = None
    options: dict[str, str | int | float | bool] | None = Field(
        None, description="backend-specific options (those the Settings dialog shows)")


class TaskCreated(BaseModel):
    id: str
    status: TaskStatus


class TaskPage(BaseModel):
    items: list[TaskPublic]
    total: int
    limit: int
    offset: int


class Health(BaseModel):
    status: str
    version: str


def _invalid(message: str, field: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ["body", "config", field], "msg": message}])


def task_params_from_config(raw: bytes | None, settings: AppSettings) -> TaskParams:
    """Validated task parameters, or ``RequestValidationError`` (422) saying what is wrong."""
    try:
        config = TaskConfig.model_validate_json(raw) if raw and raw.strip() else TaskConfig()
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ["body", "config", *e["loc"]]} for e in
             exc.errors(include_url=False, include_context=False, include_input=False)]
        ) from None
    if config.backend is not None and config.backend not in backend_names():
        raise _invalid(f"unknown backend; choose one of: {', '.join(backend_names())}",
                       "backend")
    overrides: dict[str, Any] = config.model_dump(exclude={"options"}, exclude_none=True)
    params = settings.task_params(**overrides)
    if config.options is not None:
        params.backend_options = _checked_options(params.backend, config.options)
    return params


def _checked_options(backend: str, options: dict[str, Any]) -> dict[str, Any]:
    try:
        cls = backend_class(backend)
    except ImportError as exc:
        raise _invalid(f"the {backend} backend cannot be loaded here ({exc})", "backend") from None
    kinds = {option.key: option.kind for option in cls.options}
    local = sorted(k for k in options if kinds.get(k) in _LOCAL_ONLY_KINDS)
    if local:
        raise _invalid(f"{', '.join(local)} can only be set on the workstation", "options")
    try:
        cls.option_values(BackendConfig(options=options))
    except InputError as exc:
        raise _invalid(str(exc), "options") from None
    return dict(options)
