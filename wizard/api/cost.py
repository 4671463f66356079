"""What one GraphQL request may cost, checked right after parsing, before graphql-core's own
validation (whose overlapping-fields rule is quadratic in the number of fields) and before
anything runs.

Limits (config, README *Configuration*): fields selected (with fragments expanded, each spread
counted again), aliases, and depth. The standard introspection query fits the defaults, so
GraphiQL and code generators keep working. Parsing itself stops after a number of tokens
derived from the field limit.
"""
from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLError, parse
from graphql.language import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode,
    OperationDefinitionNode, SelectionSetNode,
)

CODE = "QUERY_TOO_COMPLEX"
TOKENS_PER_FIELD = 40


@dataclass(frozen=True)
class Limits:
    max_fields: int = 500
    max_aliases: int = 30
    max_depth: int = 20

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(max_fields=int(config.get("WIZARD_GRAPHQL_MAX_FIELDS", cls.max_fields)),
                   max_aliases=int(config.get("WIZARD_GRAPHQL_MAX_ALIASES", cls.max_aliases)),
                   max_depth=int(config.get("WIZARD_GRAPHQL_MAX_DEPTH", cls.max_depth)))


@dataclass(frozen=True)
class Cost:
    fields: int = 0
    aliases: int = 0
    depth: int = 0

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.fields + other.fields, self.aliases + other.aliases, max(self.depth, other.depth))


def document_cost(document: DocumentNode) -> Cost:
    """The summed cost of every operation in the document."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    memo: dict[str, Cost] = {}
    total = Cost()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            total += _selection_cost(definition.selection_set, fragments, memo, set())
    return total


def _selection_cost(selection_set: SelectionSetNode | None, fragments, memo, visiting) -> Cost:
    """Cost of a selection set; its depth counts the fields below it (a leaf field is 1)."""
    cost = Cost()
    for selection in (selection_set.selections if selection_set else ()):
        if isinstance(selection, FieldNode):
            inner = _selection_cost(selection.selection_set, fragments, memo, visiting)
            aliased = selection.alias is not None and selection.alias.value != selection.name.value
            cost += Cost(inner.fields + 1, inner.aliases + int(aliased), inner.depth + 1)
        elif isinstance(selection, InlineFragmentNode):
            cost += _selection_cost(selection.selection_set, fragments, memo, visiting)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visiting or name not in fragments:
                continue  # a cycle or an unknown fragment: validation reports it
            if name not in memo:
                memo[name] = _selection_cost(fragments[name].selection_set, fragments, memo, visiting | {name})
            cost += memo[name]
    return cost


def problems(cost: Cost, limits: Limits) -> list[str]:
    out = []
    if cost.fields > limits.max_fields:
        out.append(f"selects {cost.fields} fields (at most {limits.max_fields}, fragments counted where used)")
    if cost.aliases > limits.max_aliases:
        out.append(f"uses {cost.aliases} aliases (at most {limits.max_aliases})")
    if cost.depth > limits.max_depth:
        out.append(f"is {cost.depth} levels deep (at most {limits.max_depth})")
    return out


def parser(limits: Limits):
    """An ariadne `query_parser`: parse (bounded) and refuse a document over the limits."""

    def parse_within_limits(_context, data: dict) -> DocumentNode:
        try:
            document = parse(data["query"], max_tokens=limits.max_fields * TOKENS_PER_FIELD)
        except GraphQLError as exc:
            if "tokens. Parsing aborted" in exc.message:
                raise GraphQLError("The query is too large: " + exc.message, extensions={"code": CODE}) from None
            raise
        found = problems(document_cost(document), limits)
        if found:
            raise GraphQLError("The query is too expensive: it " + "; it ".join(found) + ".",
                               extensions={"code": CODE})
        return document

    return parse_within_limits
