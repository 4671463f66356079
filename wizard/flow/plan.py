"""A page plan: a page rendered once through its normal templates, with every part that belongs to
one request (a token, a URL with the instance and session in it, a value, an error's text...)
replaced by a marker, then split into literal chunks and fills. A request computes the fills from
its own template context and joins them with the chunks; no template is rendered.

A marker is `\\ue000<token>:<n>\\ue001`, a `Markup` (so the templates write it as it is) whose token is
drawn at random once per process: no text of an ISV or a user can be taken for one, and a fill
is never read for markers (it is joined after the split). Making a plan checks that the page holds
no other trace of the token (a marker escaped or cut by a filter would leave its fill out).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Callable

from markupsafe import Markup, escape

from .. import controls

_TOKEN = secrets.token_hex(12)
_MARK = re.compile("\ue000" + _TOKEN + r":(\d+)" + "\ue001")

# A fill: the request's template context and a dict for that request's own use -> its HTML.
Fill = Callable[[dict, dict], str]


def text(value) -> str:
    """A value as `{{ value }}` writes it: escaped (a lazy `Text` is translated by its `__html__`,
    wizard.texts)."""
    return str(escape(value))


class Planner:
    """Issues the markers of one plan while its page is rendered, each with its fill."""

    def __init__(self):
        self.fills: list[Fill] = []

    def fill(self, compute: Fill) -> Markup:
        """A marker whose HTML is `compute(context, memo)` on each request."""
        self.fills.append(compute)
        return Markup(f"\ue000{_TOKEN}:{len(self.fills) - 1}\ue001")

    def text(self, compute: Callable[[dict], object]) -> Markup:
        """A marker for a text of the request (`compute(context)`), written as `{{ }}` writes it."""
        return self.fill(lambda context, _memo: text(compute(context)))

    def field(self, name: str, compute: Callable, index: int | None = None) -> Markup:
        """Called by wizard.controls while the plan is made: a marker for a control of the form's
        field `name`, written on each request by `compute(that request's field)` (the item `index`
        of what it returns, worked out once per request, for a group's controls)."""
        if index is None:
            return self.fill(lambda context, _memo: str(compute(context["form"][name])))

        def one(context, memo):
            key = ("field", name)
            if key not in memo:
                memo[key] = compute(context["form"][name])
            return str(memo[key][index][1])
        return self.fill(one)


@dataclass(frozen=True)
class Plan:
    # The literal HTML as UTF-8, encoded once: a request encodes only its fills. (A page with one
    # character past Latin-1, a dash, is joined and encoded as two bytes a character: about a
    # thirtieth of a GET when the whole page was encoded on each request.)
    chunks: tuple[bytes, ...]  # fills[k] goes between chunks[k] and chunks[k + 1]
    fills: tuple[Fill, ...]

    def page(self, context: dict) -> bytes:
        """The page for one request, from its template context, as UTF-8."""
        memo: dict = {}
        out = [self.chunks[0]]
        for compute, chunk in zip(self.fills, self.chunks[1:]):
            out.append(compute(context, memo).encode())
            out.append(chunk)
        return b"".join(out)


def make(render: Callable[[Planner], str]) -> Plan:
    """The plan of the page `render(planner)` writes (the controls of the form write markers
    meanwhile: wizard.controls.planning)."""
    planner = Planner()
    with controls.planning(planner):
        html = render(planner)
    parts = _MARK.split(html)
    numbers = [int(n) for n in parts[1::2]]
    # each marker issued is in the page once, and nothing else holds the token
    if sorted(numbers) != list(range(len(planner.fills))) or html.count(_TOKEN) != len(numbers):
        raise RuntimeError("a page plan holds a marker it did not issue, or a marker was lost or changed")
    return Plan(tuple(chunk.encode() for chunk in parts[0::2]), tuple(planner.fills[n] for n in numbers))
