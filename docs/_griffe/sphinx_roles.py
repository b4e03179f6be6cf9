"""Render Sphinx roles in docstrings as Markdown code for mkdocstrings.

relationkit's docstrings use Sphinx cross-reference roles (:class:`Money`,
:meth:`~relationkit.RelationKit.close`). mkdocstrings renders docstrings as
Markdown, where those roles would show up literally. This griffe extension,
loaded from ``mkdocs.yml``, rewrites each role as inline code, as Sphinx would
display it: ``~`` keeps the last dotted part, functions and methods get ``()``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?P<role>[a-z]+):`(?P<text>[^`]+)`")
_CALLABLE = frozenset({"func", "meth"})


def _replace(match: re.Match[str]) -> str:
    text = match["text"].strip()
    explicit = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", text)
    if explicit is not None:
        shown = explicit["title"]
    elif text.startswith("~"):
        shown = text[1:].rsplit(".", 1)[-1]
    else:
        shown = text.lstrip("!")
    if match["role"] in _CALLABLE and explicit is None and not shown.endswith(")"):
        shown += "()"
    return f"`{shown}`"


def convert(text: str) -> str:
    """Return ``text`` with every Sphinx role replaced by inline code."""
    return _ROLE.sub(_replace, text)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring once the object tree is built."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Convert the roles in ``obj``'s docstring."""
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
