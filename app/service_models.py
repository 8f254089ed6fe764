"""The service-model registry (DESIGN §3).

A service model is a plug-in: it declares its blueprint, its typed settings with defaults, its
navigation entries and its dashboard tiles. A township switches each on or off (TownshipService) and
edits its settings; the blueprint of a switched-off model answers 404 for that township. Behaviour
stays in code; settings hold values only.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint


@dataclass(frozen=True)
class NavEntry:
    label: str  # a lazy translation string
    endpoint: str


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    endpoint: str | None = None
    url_values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceModel:
    key: str
    label: str
    description: str
    blueprint: Blueprint
    settings_class: type
    nav: tuple[NavEntry, ...] = ()
    public_nav: tuple[NavEntry, ...] = ()
    tiles: Callable[[Any], list[Tile]] | None = None

    def default_settings(self):
        return self.settings_class()

    def settings_for(self, township):
        """The township's settings for this model, defaults filled in."""
        entry = township.service(self.key)
        return parse_settings(self.settings_class, entry.settings if entry else {})


class SettingsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def setting(default, label: str, minimum: int | None = None, maximum: int | None = None,
            help: str = ""):
    """A typed settings field with its label for the settings form."""
    return field(
        default=default,
        metadata={"label": label, "min": minimum, "max": maximum, "help": help},
    )


def parse_settings(settings_class: type, raw: dict[str, Any] | None):
    """Build a settings object from stored or submitted values, checking types and ranges."""
    raw = dict(raw or {})
    hints = typing.get_type_hints(settings_class)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in dataclasses.fields(settings_class):
        if f.name not in raw:
            continue
        kind = hints[f.name]
        value = raw[f.name]
        try:
            if kind is bool:
                if isinstance(value, str):
                    value = value.strip().lower() in {"1", "true", "yes", "on", "y"}
                else:
                    value = bool(value)
            elif kind is int:
                value = int(value)
                lo, hi = f.metadata.get("min"), f.metadata.get("max")
                if (lo is not None and value < lo) or (hi is not None and value > hi):
                    raise ValueError(f"out of range {lo}..{hi}")
            elif kind is str:
                value = str(value)
            else:
                raise TypeError(f"unsupported setting type {kind}")
        except (TypeError, ValueError) as exc:
            errors[f.name] = str(exc)
            continue
        values[f.name] = value
    if errors:
        raise SettingsError(errors)
    return settings_class(**values)


def settings_to_dict(settings) -> dict[str, Any]:
    return dataclasses.asdict(settings)


REGISTRY: dict[str, ServiceModel] = {}


def register(model: ServiceModel) -> ServiceModel:
    if model.key in REGISTRY and REGISTRY[model.key] is not model:
        raise RuntimeError(f"service model {model.key} registered twice")
    REGISTRY[model.key] = model
    return model


SERVICE_MODEL_KEYS = ("one_stop", "proxy", "studio", "assembly")


def add_overview_page(blueprint: Blueprint, key: str) -> None:
    """The model's page for staff at its blueprint's root: what it is, how this township set it."""
    from flask import render_template

    from app.access import staff
    from app.tenancy import current_township

    @blueprint.route("/")
    @staff()
    def index():
        model = REGISTRY[key]
        return render_template("service_models/overview.html", model=model,
                               settings=model.settings_for(current_township()))


def load_registry() -> dict[str, ServiceModel]:
    """Import the four service-model packages so each registers itself."""
    import importlib

    for module in ("app.hall.service", "app.proxy.service", "app.studio.service",
                   "app.assembly.service"):
        importlib.import_module(module)
    return REGISTRY
