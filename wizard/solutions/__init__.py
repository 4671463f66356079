"""Solution definitions and the values their slots take: plain Python, no Flask."""
from .format import DefinitionError, all_slots, parse_definition, validate_definition  # noqa: F401
from .values import (  # noqa: F401
    SlotValueError, check_value, drop_unshown, effective_values, is_shown, missing_required,
    parse_json_text, validate_config_values,
)
