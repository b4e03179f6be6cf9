"""Every code block in README.md and docs/ either runs or is checked.

- ```python blocks run. The blocks of one file run in order in one shared
  namespace (a page is a story), in a temporary working directory, so files
  such as ``crm.db`` land there. One test per file; a failure names the file
  and the line of the failing block, and the traceback points into the page.
- A ```text title="Output" block right after a python block is what that
  block prints; ``...`` matches anything (as doctest's ELLIPSIS does).
- ```bash and ```console blocks are not run. Each ``make X`` they mention must
  be a target of the Makefile, and each relative file path they mention must
  exist in the repository.
- Other languages (```text, ```toml, ```yaml, ...) are left alone.

A block that must not run carries an HTML comment on the line before it::

    <!-- skip: why it cannot run here -->
    <!-- skip-unless-env RELATIONKIT_TEST_POSTGRES_URL: why it needs the variable -->

The first form always skips, the second skips only while the environment
variable is unset. A marker without a reason, or one that is not followed by a
code block, fails the page. Skipped blocks are counted and listed at the end of
the run (see ``conftest.py``).

Code blocks may only use public names: ``import relationkit as rk`` and the
names in ``rk.__all__`` (and in ``rk.errors.__all__`` and ``rk.events.__all__``).
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import importlib
import io
import os
import re
import shlex
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import pytest

import relationkit as rk

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

PYTHON = frozenset({"python", "py", "python3"})
SHELL = frozenset({"bash", "sh", "shell", "console"})
# Python in a form that would silently not run: ask for ```python instead.
NOT_RUN_PYTHON = frozenset({"pycon", "pyodide", "ipython"})

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
_MARKER = re.compile(r"^\s*<!--\s*skip\b(?P<rest>.*?)-->\s*$")
_MARKER_BODY = re.compile(
    r"^(?:-unless-env\s+(?P<env>[A-Za-z_][A-Za-z0-9_]*))?\s*(?::\s*(?P<reason>.*))?$"
)
_MAKE_TARGET = re.compile(
    r"^(?P<targets>[A-Za-z0-9_.\-/]+(?:[ \t]+[A-Za-z0-9_.\-/]+)*)[ \t]*:(?![:=])"
)
_PATH_SUFFIXES = (".py", ".md", ".toml", ".sh", ".yml", ".yaml", ".cfg", ".txt", ".csv", ".json")


@attrs.frozen(kw_only=True)
class Skip:
    """A ``<!-- skip ... -->`` marker."""

    line: int
    reason: str
    env: str | None = None

    def applies(self) -> bool:
        """Return whether the block is skipped in this environment."""
        return self.env is None or not os.environ.get(self.env)


@attrs.frozen(kw_only=True)
class Block:
    """A fenced code block of a Markdown page."""

    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    info: str
    code: str
    skip: Skip | None = None

    @property
    def is_output(self) -> bool:
        """Whether this is a ```text title="Output" block."""
        return self.lang == "text" and re.search(r'title="Output"', self.info) is not None

    @property
    def where(self) -> str:
        """``docs/page.md:42``: the page and the line of the opening fence."""
        return f"{self.page}:{self.line}"


class PageError(Exception):
    """The page itself is malformed (an unclosed fence, a marker without a reason)."""


def relative(path: Path) -> str:
    """Return ``path`` relative to the repository root, with forward slashes."""
    return path.relative_to(ROOT).as_posix()


def parse_marker(text: str, line: int, page: str) -> Skip | None:
    """Return the skip marker on ``text``, or None if the line holds none.

    Raises:
        PageError: if the marker is malformed or has no reason.
    """
    found = _MARKER.match(text)
    if found is None:
        return None
    body = _MARKER_BODY.match(found["rest"].strip())
    if body is None:
        raise PageError(f"{page}:{line}: malformed skip marker {text.strip()!r}")
    reason = (body["reason"] or "").strip()
    if not reason:
        raise PageError(f"{page}:{line}: skip marker without a reason: {text.strip()!r}")
    return Skip(line=line, reason=reason, env=body["env"])


def parse_blocks(path: Path) -> list[Block]:
    """Return the fenced code blocks of a Markdown file, in order.

    Raises:
        PageError: on an unclosed fence or a misplaced or reasonless skip marker.
    """
    return parse_markdown(path.read_text(encoding="utf-8"), relative(path))


def parse_markdown(markdown: str, page: str) -> list[Block]:
    """Return the fenced code blocks of ``markdown`` (the text of ``page``), in order.

    Raises:
        PageError: on an unclosed fence or a misplaced or reasonless skip marker.
    """
    lines = markdown.splitlines()
    blocks: list[Block] = []
    pending: Skip | None = None
    i = 0
    while i < len(lines):
        text = lines[i]
        marker = parse_marker(text, i + 1, page)
        if marker is not None:
            if pending is not None:
                raise PageError(f"{page}:{pending.line}: skip marker not followed by a code block")
            pending = marker
            i += 1
            continue
        opening = _FENCE.match(text)
        if opening is None:
            if pending is not None and text.strip():
                raise PageError(f"{page}:{pending.line}: skip marker not followed by a code block")
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        info = opening["info"]
        lang = info.split()[0].strip("{}.").lower() if info else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = _FENCE.match(lines[j])
            if (
                closing is not None
                and not closing["info"]
                and closing["fence"][0] == fence[0]
                and len(closing["fence"]) >= len(fence)
            ):
                break
            content = lines[j]
            body.append(content[len(indent) :] if content.startswith(indent) else content.lstrip())
            j += 1
        else:
            raise PageError(f"{page}:{i + 1}: code block is never closed")
        blocks.append(
            Block(page=page, line=i + 1, lang=lang, info=info, code="\n".join(body), skip=pending)
        )
        pending = None
        i = j + 1
    if pending is not None:
        raise PageError(f"{page}:{pending.line}: skip marker not followed by a code block")
    return blocks


# -- public names only ---------------------------------------------------------


def _attribute_chain(node: ast.Attribute) -> list[str] | None:
    """Return ``["rk", "errors", "NotFound"]`` for ``rk.errors.NotFound``."""
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    parts.append(current.id)
    return parts[::-1]


def node_is_clv_import(node: ast.AST) -> bool:
    """Return whether ``node`` is ``from relationkit import clv`` (the extra's public form)."""
    return (
        isinstance(node, ast.ImportFrom)
        and node.module == "relationkit"
        and [(a.name, a.asname) for a in node.names] == [("clv", None)]
    )


def private_uses(block: Block) -> list[str]:
    """Return what a python block uses from relationkit beyond its public names."""
    tree = ast.parse(block.code)
    problems: list[str] = []
    public = {
        "": set(rk.__all__),
        "errors": set(rk.errors.__all__),
        "events": set(rk.events.__all__),
    }
    for node in ast.walk(tree):
        line = block.line + getattr(node, "lineno", 0)
        if node_is_clv_import(node):
            continue  # the optional subpackage's documented form (needs relationkit[clv])
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "relationkit":
            problems.append(
                f"line {line}: use 'import relationkit as rk', not 'from {node.module}'"
            )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "relationkit" and (
                    alias.name != "relationkit" or alias.asname != "rk"
                ):
                    problems.append(f"line {line}: use 'import relationkit as rk'")
        elif isinstance(node, ast.Attribute):
            chain = _attribute_chain(node)
            if chain and chain[0] == "clv" and len(chain) > 1 and not chain[1].startswith("__"):
                if chain[1] not in importlib.import_module("relationkit.clv").__all__:
                    problems.append(f"line {line}: clv.{chain[1]} is not in clv.__all__")
                continue
            if not chain or chain[0] != "rk" or len(chain) < 2:
                continue
            if chain[1] not in public[""]:
                problems.append(f"line {line}: rk.{chain[1]} is not in relationkit.__all__")
            elif (
                chain[1] in ("errors", "events")
                and len(chain) > 2
                and chain[2] not in public[chain[1]]
            ):
                problems.append(
                    f"line {line}: rk.{chain[1]}.{chain[2]} is not in "
                    f"relationkit.{chain[1]}.__all__"
                )
    return sorted(set(problems))


# -- running python ------------------------------------------------------------


def _page_traceback(exc: BaseException, page: str) -> str:
    """Format ``exc`` with the frames from the page only (the harness is noise)."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != page:
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb)
    return "".join(lines).rstrip()


def run_python(block: Block, namespace: dict[str, Any]) -> str:
    """Run one block in ``namespace``; its line numbers are the page's.

    Returns:
        What the block printed.

    Raises:
        pytest.fail.Exception: naming the page and line, if the block raises.
    """
    # Pad with newlines so that tracebacks report the page's own line numbers.
    source = "\n" * block.line + block.code
    code = compile(source, block.page, "exec", dont_inherit=True)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
    except Exception as exc:
        pytest.fail(
            f"{block.where}: ```python block failed\n\n{_page_traceback(exc, block.page)}",
            pytrace=False,
        )
    return printed.getvalue()


def check_output(block: Block, output: Block, printed: str) -> None:
    """Compare what ``block`` printed with the Output block that follows it.

    Raises:
        pytest.fail.Exception: if they differ.
    """
    want = output.code.strip() + "\n"
    got = printed.strip() + "\n"
    checker = doctest.OutputChecker()
    if not checker.check_output(want, got, doctest.ELLIPSIS):
        pytest.fail(
            f"{output.where}: the output of the block at {block.where} differs\n"
            f"--- documented\n{want}--- printed\n{got}",
            pytrace=False,
        )


def close_kits(namespace: dict[str, Any]) -> None:
    """Close every kit a page left open, so SQLite files are released."""
    for value in list(namespace.values()):
        if isinstance(value, rk.RelationKit):
            value.close()


# -- checking shell blocks -----------------------------------------------------


def make_targets() -> set[str]:
    """Return the explicit targets of the Makefile."""
    targets: set[str] = set()
    for text in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if text.startswith(("\t", "#", " ")):
            continue
        found = _MAKE_TARGET.match(text)
        if found is not None:
            targets.update(t for t in found["targets"].split() if not t.startswith("."))
    return targets


def shell_commands(block: Block) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, words)`` for each command of a bash or console block."""
    for offset, text in enumerate(block.code.splitlines(), start=1):
        stripped = text.strip()
        if block.lang == "console":
            if not stripped.startswith("$ "):
                continue  # output, not a command
            stripped = stripped[2:]
        if not stripped or stripped.startswith("#"):
            continue
        try:
            words = shlex.split(stripped, comments=True)
        except ValueError:
            words = stripped.split()
        yield block.line + offset, words


def _looks_like_path(word: str) -> bool:
    if word.startswith(("-", "/", "~", "$")) or "://" in word or "=" in word:
        return False
    if word.endswith(_PATH_SUFFIXES):
        return True
    return "/" in word and re.fullmatch(r"[\w.\-]+(/[\w.\-]+)+/?", word) is not None


def shell_problems(block: Block, targets: set[str]) -> list[str]:
    """Return unknown make targets and missing paths mentioned by a shell block."""
    problems: list[str] = []
    for line, words in shell_commands(block):
        commands: list[list[str]] = [[]]
        for word in words:
            if word in ("&&", "||", ";", "|"):
                commands.append([])
            else:
                commands[-1].append(word)
        for command in commands:
            if command[:1] == ["make"]:
                for word in command[1:]:
                    if word.startswith("-") or "=" in word:
                        continue
                    if word not in targets:
                        problems.append(
                            f"{block.page}:{line}: 'make {word}' is not a Makefile target"
                        )
            for word in command[1:]:
                if _looks_like_path(word) and not (ROOT / word).exists():
                    problems.append(f"{block.page}:{line}: {word} does not exist")
    return problems


# -- the tests -----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES, ids=relative)
def test_page(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Every python block of the page runs, in order, in one namespace; shell blocks are sound."""
    try:
        blocks = parse_blocks(path)
    except PageError as exc:
        pytest.fail(str(exc), pytrace=False)

    problems: list[str] = []
    targets = make_targets()
    for previous, block in zip([None, *blocks], blocks, strict=False):
        if block.is_output and (previous is None or previous.lang not in PYTHON):
            problems.append(f"{block.where}: an Output block must follow a ```python block")
        if block.lang in NOT_RUN_PYTHON:
            problems.append(f"{block.where}: write ```python (with asserts), not ```{block.lang}")
        elif block.lang in PYTHON:
            try:
                problems.extend(f"{block.where}: {p}" for p in private_uses(block))
            except SyntaxError as exc:
                problems.append(f"{block.where}: not valid Python: {exc}")
        elif block.lang in SHELL and block.skip is None:
            problems.extend(shell_problems(block, targets))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)

    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"docs_{path.stem}"}
    ran = 0
    skipped: list[str] = []
    try:
        for index, block in enumerate(blocks):
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if block.lang not in PYTHON:
                continue
            if block.skip is not None and block.skip.applies():
                skipped.append(f"{block.where} ({block.skip.reason})")
                continue
            printed = run_python(block, namespace)
            ran += 1
            if following is not None and following.is_output:
                check_output(block, following, printed)
    finally:
        close_kits(namespace)
        request.node.user_properties.append(("docs_blocks_ran", ran))
        request.node.user_properties.append(("docs_blocks_skipped", skipped))


def test_pages_found() -> None:
    """The README and the documentation pages are where the test looks for them."""
    names = {relative(p) for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/quickstart.md"} <= names


def _reference_targets() -> Iterator[tuple[str, str]]:
    for path in PAGES:
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found = re.match(r"^\s*:::\s*(?P<target>[\w.]+)\s*$", text)
            if found is not None:
                yield f"{relative(path)}:{number}", found["target"]


def _resolve(target: str) -> object:
    """Import ``target`` (a module, or an object inside one)."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(target)


def test_reference_targets_exist() -> None:
    """Every ``::: target`` of the API reference imports (mkdocs would abort otherwise)."""
    missing = []
    for where, target in _reference_targets():
        try:
            _resolve(target)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{where}: ::: {target} ({exc})")
    assert missing == []


def test_reference_lists_every_public_name() -> None:
    """The reference's ``::: relationkit`` block lists every name in ``rk.__all__``."""
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\s+- (\w+)\s*$", text, flags=re.MULTILINE))
    # The submodules have pages of their own.
    expected = set(rk.__all__) - {"errors", "events"}
    assert sorted(expected - listed) == []
