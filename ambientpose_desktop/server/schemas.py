"""Request and response bodies of the API that are not the task itself (``store.TaskPublic``)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from ambientpose_desktop.core.errors import InputError
from ambientpose_desktop.core.params import PARAMS, ParamSpec, TaskParams
from ambientpose_desktop.core.tasks import TaskStatus
from ambientpose_desktop.pipeline.backends import backend_class, backend_names, check_task_params
from ambientpose_desktop.store.models import TaskPublic
from ambientpose_desktop.store.settings import AppSettings

# Options naming files or folders on the workstation are set there, never by a remote client.
_LOCAL_ONLY_KINDS = frozenset({"file", "dir"})


def _config_field(spec: ParamSpec) -> tuple[Any, Any]:
    """A ``TaskConfig`` field from a task parameter's declaration: same bounds and help."""
    types: dict[str, Any] = {"int": int, "float": float, "bool": bool, "str": str}
    if spec.choices:
        types["choice"] = Literal[spec.choices]
    bounds: dict[str, Any] = {}
    if spec.minimum is not None:
        bounds["ge"] = spec.minimum
    if spec.maximum is not None:
        bounds["le"] = spec.maximum
    if spec.pattern is not None:
        bounds["pattern"] = f"^({spec.pattern})$"
    if spec.kind == "float":
        bounds["allow_inf_nan"] = False
    return types[spec.kind] | None, Field(None, description=spec.help, **bounds)


# The optional ``config`` form field (JSON); what is left out comes from the settings.
TaskConfig = create_model(
    "TaskConfig", __config__=ConfigDict(extra="forbid"),
    **{name: _config_field(spec) for name, spec in PARAMS.items()},
    options=(dict[str, str | int | float | bool] | None,
             Field(None, description="backend-specific options (those the Settings dialog "
                                     "shows), checked against each option's declared range")),
)


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


def _invalid(message: str, field: str | None = None) -> RequestValidationError:
    loc = ["body", "config", *([field] if field else [])]
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": message}])


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
        params.backend_options = _workstation_options_refused(params.backend, config.options)
    try:
        return check_task_params(params)
    except ImportError as exc:
        raise _invalid(f"the {params.backend} backend cannot be loaded here ({exc})",
                       "backend") from None
    except InputError as exc:
        raise _invalid(str(exc)) from None


def _workstation_options_refused(backend: str, options: dict[str, Any]) -> dict[str, Any]:
    """Options naming files or folders on the workstation are set there, not over HTTP."""
    try:
        cls = backend_class(backend)
    except ImportError as exc:
        raise _invalid(f"the {backend} backend cannot be loaded here ({exc})", "backend") from None
    kinds = {option.key: option.kind for option in cls.options}
    local = sorted(k for k in options if kinds.get(k) in _LOCAL_ONLY_KINDS)
    if local:
        raise _invalid(f"{', '.join(local)} can only be set on the workstation", "options")
    return dict(options)
