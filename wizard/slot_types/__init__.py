"""Slot types: one class per type holds every rule of that type (docs/solution-format.md).

A type's class says how a definition declares it (`definition`), which values it takes
(`check`), how a wizard screen shows it (`field`, `prefill`, `part`), how a submitted form becomes
a value (`convert`) and how the review shows the value (`display`). The solution format, the
value rules, the wizard's forms and the review ask this registry; none of them branches on a
type's name.

Adding a type: a module in this package with a `SlotType` subclass decorated `@register` (and,
when none of the existing template parts fits, its part in templates/wizard/slots/).
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import (  # noqa: F401
    AUTH, COMMON_KEYS, EMPTY_CHOICE, Conversion, DefinitionRules, SlotType, SlotValueError, get, names, option_key,
    register, secret_ids, slot_keys,
)

# Every module of this package declares types; importing them is what registers them, so that a
# new type is one new module and nothing else (the registry cannot name modules it does not know).
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "safe"):
        importlib.import_module(f"{__name__}.{_module.name}")
