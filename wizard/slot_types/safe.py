"""ISV-written regexes and JSON Schemas, made safe to run on user input.

- Regexes (a slot's `pattern`, JSON Schema `pattern` and `patternProperties`) run on RE2
  (google-re2): linear time, no catastrophic backtracking. A pattern RE2 cannot compile
  (look-arounds, back-references) is refused when the definition is published.
- JSON Schemas are checked with a `referencing` registry that never fetches: a `$ref` to
  anything outside the schema is refused at publish, as is a local `$ref` to nothing, and a
  `$ref` cycle that never descends into the value (`{"$defs": {"a": {"$ref": "#/$defs/a"}},
  "$ref": "#/$defs/a"}`, or one through `allOf`): checking a value against it would never end. At
  check time an unresolvable reference or a loop in an older definition is a refused value,
  never a fault.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator

import jsonschema
import re2
import referencing
import referencing.exceptions
import referencing.jsonschema
from jsonschema import ValidationError
from jsonschema.validators import extend, validator_for

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the ISV, not logged to stderr
_OPTIONS.max_mem = 8 << 20


class PatternError(ValueError):
    pass


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str):
    """The RE2 program for `pattern`, or PatternError saying why RE2 refuses it."""
    if not isinstance(pattern, str):
        raise PatternError("a pattern must be text")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"{reason} (patterns run on RE2: no look-arounds or back-references)") from None


def fullmatch(pattern: str, value: str) -> bool:
    return compile_pattern(pattern).fullmatch(value) is not None


def search(pattern: str, value: str) -> bool:
    return compile_pattern(pattern).search(value) is not None


# -- JSON Schema ------------------------------------------------------------------------------------

def _pattern(validator, patrn, instance, schema):
    if validator.is_type(instance, "string") and not search(patrn, instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(validator, pattern_properties, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in pattern_properties.items():
        for k, v in instance.items():
            if search(patrn, k):
                yield from validator.descend(v, subschema, path=k, schema_path=patrn)


def _never_fetch(uri: str):
    raise referencing.exceptions.NoSuchResource(ref=uri)


REGISTRY = referencing.Registry(retrieve=_never_fetch)


@functools.lru_cache(maxsize=64)
def _validator_class(cls):
    """`cls` with its regex keywords on RE2 (jsonschema's hook for keyword behaviour)."""
    return extend(cls, {"pattern": _pattern, "patternProperties": _pattern_properties})


def validate(value, schema: dict) -> None:
    """Raise jsonschema.ValidationError when `value` does not match `schema`; a reference that
    cannot be resolved is a ValidationError too (a definition published before this check)."""
    cls = _validator_class(validator_for(schema))
    validator = cls(schema, registry=REGISTRY)
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except referencing.exceptions.Unresolvable as exc:
        raise ValidationError(f"the schema refers to {exc.ref!r}, which cannot be resolved") from None
    except PatternError as exc:
        raise ValidationError(f"the schema has a pattern RE2 cannot run: {exc}") from None
    except RecursionError:  # a $ref loop in a definition published before schema_problems refused it
        raise ValidationError("the schema refers to itself in a loop, so no value can be checked") from None
    if error is not None:
        raise error


def _walk(node, path: tuple = ()) -> Iterator[tuple[tuple, str, object]]:
    """(path, keyword, value) of every `$ref`, `pattern` and `patternProperties` in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef", "pattern") and isinstance(value, str):
                yield path, key, value
            elif key == "patternProperties" and isinstance(value, dict):
                for patrn in value:
                    yield path + (key,), "pattern", patrn
            yield from _walk(value, path + (key,))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, path + (i,))


# Keywords whose subschemas apply to the same value (not to a part of it): a reference cycle
# through these alone never ends.
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")


def _in_place(node, resolver) -> Iterator[tuple[str, object]]:
    """(how, subschema) for each subschema applied to the same value as `node`."""
    if not isinstance(node, dict):
        return
    for key in _IN_PLACE_LISTS:
        if isinstance(node.get(key), list):
            yield from ((f"{key}[{i}]", item) for i, item in enumerate(node[key]))
    for key in _IN_PLACE_ONE:
        if key in node:
            yield key, node[key]
    if isinstance(node.get("dependentSchemas"), dict):
        yield from ((f"dependentSchemas/{k}", v) for k, v in node["dependentSchemas"].items())
    for key in ("$ref", "$dynamicRef"):
        ref = node.get(key)
        if isinstance(ref, str) and ref.startswith("#"):
            try:
                yield f"{key} {ref!r}", resolver.lookup(ref).contents
            except referencing.exceptions.Unresolvable:
                pass  # reported as dangling


def _reference_cycle(schema, resolver) -> str | None:
    """The first chain of in-place subschemas that comes back to where it started, as text."""
    done: set[int] = set()
    for start in _subschemas(schema):
        if id(start) in done:
            continue
        # depth-first without recursion: (node, its in-place children, the path so far)
        on_path = {id(start)}
        stack = [(start, _in_place(start, resolver), [])]
        while stack:
            node, children, path = stack[-1]
            step = next(children, None)
            if step is None:
                stack.pop()
                on_path.discard(id(node))
                done.add(id(node))
                continue
            how, child = step
            if id(child) in on_path:
                return " -> ".join(path + [how])
            if id(child) in done or not isinstance(child, dict):
                continue
            on_path.add(id(child))
            stack.append((child, _in_place(child, resolver), path + [how]))
    return None


def _subschemas(node) -> Iterator[dict]:
    """Every mapping in the schema (each may be a subschema), the top first."""
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            yield item
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)


def schema_problems(schema) -> list[str]:
    """What makes `schema` unfit to publish: not a JSON Schema, a remote or dangling `$ref`, a
    pattern RE2 cannot compile. Empty when it is fine."""
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return [f"schema is not a valid JSON Schema: {exc.message}"]
    problems = []
    try:
        resource = referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT202012)
    except referencing.exceptions.CannotDetermineSpecification:
        return ["schema names a $schema dialect that is not known"]
    resolver = REGISTRY.with_resource("urn:wizard:schema", resource).resolver("urn:wizard:schema")
    for path, keyword, value in _walk(schema):
        where = "/".join(map(str, path)) or "the top"
        if keyword == "pattern":
            try:
                compile_pattern(value)
            except PatternError as exc:
                problems.append(f"schema pattern {value!r} at {where}: {exc}")
            continue
        if not value.startswith("#"):
            problems.append(f"schema {keyword} {value!r} at {where} points outside the schema; "
                            "only references within it (#/...) are allowed")
            continue
        try:
            resolver.lookup(value)
        except referencing.exceptions.Unresolvable:
            problems.append(f"schema {keyword} {value!r} at {where} refers to nothing in the schema")
    if not problems:
        cycle = _reference_cycle(schema, resolver)
        if cycle:
            problems.append(f"schema refers to itself in a loop that never reaches into the value ({cycle}); "
                            "a value could never be checked against it")
    return problems
