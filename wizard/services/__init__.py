"""Connectable services (docs/services.md): the registry and the presets. Calling a service
with a user's account (tests, dynamic options, token refresh) is wizard.connect's."""
from __future__ import annotations

from flask import Flask

from . import local
from .registry import (
    Registry, Service, ServicesError, UnknownService, load_registry, parse_services, provide, registry,
)

Registry.resolve_local = staticmethod(local.resolve)  # a solution's own services (local builds on registry)

__all__ = ["Registry", "Service", "ServicesError", "UnknownService", "load_registry", "parse_services",
           "provide", "registry", "register"]


def register(app: Flask) -> None:
    """Load and validate the registry when the app is created, so that a wrong services file
    stops the server at start with every error listed (not at a user's first click)."""
    registry(app)
