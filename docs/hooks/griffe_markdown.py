"""Griffe extension: render our docstrings' reST habits as Markdown in the API reference.

- The docstrings carry runnable ``>>>`` examples anywhere in their text (not only under an "Examples:" heading).
  Markdown would read ``>>>`` as nested quotes and ``[...]`` in an output line as a link; every doctest block (a
  ``>>>`` line up to the next blank line, as doctest itself delimits it) is wrapped in a ``pycon`` fence, without
  its ``# doctest:`` directives (they are for the test runner only).
- Sphinx roles such as ``:class:`~lightning_gans.gan.GAN``` become code spans (``GAN``; the full path without ``~``).
- A paragraph ending in ``::`` (a reST literal block follows) ends in ``:``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_DIRECTIVE = re.compile(r"\s*#\s*doctest:.*$")
_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")
_LITERAL_MARKER = re.compile(r"(\S)::$", re.M)


def _role_to_code(match: re.Match) -> str:
    short, target = match.group(1), match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def rest_to_markdown(text: str) -> str:
    """Sphinx roles to code spans, ``text::`` to ``text:``, doctest blocks fenced (see the module docstring)."""
    return fence_doctests(_LITERAL_MARKER.sub(r"\1:", _ROLE.sub(_role_to_code, text)))


def fence_doctests(text: str) -> str:
    """Wrap each doctest block of ``text`` in a fenced ``pycon`` code block, keeping its indentation."""
    out: list[str] = []
    lines = text.splitlines()
    i, in_fence = 0, False
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_fence = not in_fence  # already fenced (e.g. a second pass): leave it alone
        if in_fence or not line.lstrip().startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            body = lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i].lstrip()
            if body.startswith(">>>") or body.startswith("..."):
                body = _DIRECTIVE.sub("", body)
            block.append(indent + body)
            i += 1
        if out and out[-1].strip():
            out.append("")  # a fence needs a blank line before it inside a paragraph
        out += [indent + "```pycon", *block, indent + "```"]
    return "\n".join(out)


class RestToMarkdown(griffe.Extension):
    """Apply :func:`rest_to_markdown` to every docstring once the object tree is loaded."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rest_to_markdown(obj.docstring.value)
