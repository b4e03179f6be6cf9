"""The docs harness itself: it must fail where a page is wrong, not pass everything."""

from __future__ import annotations

import pytest

from .test_code_blocks import (
    Block,
    PageError,
    check_output,
    make_targets,
    parse_markdown,
    private_uses,
    run_python,
    shell_problems,
)

FENCE = "```"


def page(*lines: str) -> str:
    """Join Markdown lines."""
    return "\n".join(lines) + "\n"


def python(code: str, line: int = 1) -> Block:
    """A python block at ``line`` of ``page.md``."""
    return Block(page="page.md", line=line, lang="python", info="python", code=code)


def test_blocks_keep_language_line_and_skip_reason() -> None:
    """Fences become blocks with their line; a skip marker attaches to the next block."""
    blocks = parse_markdown(
        page(
            "# Title",
            f"{FENCE}python",
            "x = 1",
            FENCE,
            "<!-- skip: needs a network -->",
            f"{FENCE}python",
            "fetch()",
            FENCE,
            f'{FENCE}text title="Output"',
            "1",
            FENCE,
        ),
        "page.md",
    )
    assert [(b.lang, b.line) for b in blocks] == [("python", 2), ("python", 6), ("text", 9)]
    assert blocks[0].skip is None
    assert blocks[1].skip is not None
    assert blocks[1].skip.reason == "needs a network"
    assert blocks[2].is_output


def test_conditional_skip_names_its_variable() -> None:
    """``skip-unless-env VAR: reason`` skips only while VAR is unset."""
    (block,) = parse_markdown(
        page("<!-- skip-unless-env SOME_URL: needs a server -->", f"{FENCE}python", "", FENCE),
        "page.md",
    )
    assert block.skip is not None
    assert (block.skip.env, block.skip.reason) == ("SOME_URL", "needs a server")


@pytest.mark.parametrize(
    "markdown",
    [
        page("<!-- skip -->", f"{FENCE}python", "x = 1", FENCE),
        page("<!-- skip: -->", f"{FENCE}python", "x = 1", FENCE),
        page("<!-- skip-unless-env URL -->", f"{FENCE}python", "x = 1", FENCE),
        page("<!-- skip: orphan -->", "Some prose.", f"{FENCE}python", "x = 1", FENCE),
        page(f"{FENCE}python", "x = 1"),
    ],
    ids=["no-reason", "empty-reason", "env-no-reason", "not-before-a-block", "unclosed"],
)
def test_malformed_pages_are_errors(markdown: str) -> None:
    """A skip without a reason, a stray marker or an unclosed fence fails the page."""
    with pytest.raises(PageError):
        parse_markdown(markdown, "page.md")


def test_failing_block_names_page_and_line() -> None:
    """A block that raises fails with the page, the block's line and the page's traceback."""
    with pytest.raises(pytest.fail.Exception) as failed:
        run_python(python("x = 1\nraise ValueError('boom')", line=40), {})
    message = str(failed.value)
    assert message.startswith("page.md:40: ```python block failed")
    assert 'File "page.md", line 42' in message
    assert "ValueError: boom" in message


def test_output_must_match_what_the_block_printed() -> None:
    """An Output block is compared with the block's output; ``...`` matches anything."""
    block = python("print('id cus_123')")
    output = Block(
        page="page.md", line=5, lang="text", info='text title="Output"', code="id cus_..."
    )
    check_output(block, output, run_python(block, {}))
    wrong = Block(page="page.md", line=5, lang="text", info='text title="Output"', code="id acc_1")
    with pytest.raises(pytest.fail.Exception):
        check_output(block, wrong, run_python(block, {}))


def test_only_public_names() -> None:
    """Imports from submodules and names outside ``__all__`` are reported."""
    code = (
        "import relationkit as rk\n"
        "from relationkit.storage.sql import SqlStorage\n"
        "rk.Money('1', 'EUR')\n"
        "rk.errors.NotFound\n"
        "rk.kit\n"
        "rk.errors.Sequence\n"
    )
    problems = private_uses(python(code, line=10))
    assert problems == [
        "line 12: use 'import relationkit as rk', not 'from relationkit.storage.sql'",
        "line 15: rk.kit is not in relationkit.__all__",
        "line 16: rk.errors.Sequence is not in relationkit.errors.__all__",
    ]


def test_shell_blocks_name_real_targets_and_files() -> None:
    """``make X`` must be a Makefile target and relative paths must exist."""
    assert {"demo", "test", "docs"} <= make_targets()
    good = Block(
        page="page.md", line=1, lang="bash", info="bash", code="make demo\nmake test PYTEST_ARGS=-x"
    )
    assert shell_problems(good, make_targets()) == []
    bad = Block(
        page="page.md",
        line=1,
        lang="console",
        info="console",
        code="$ make deploy\n$ python examples/missing.py\nmake output-line-is-not-a-command",
    )
    assert shell_problems(bad, make_targets()) == [
        "page.md:2: 'make deploy' is not a Makefile target",
        "page.md:3: examples/missing.py does not exist",
    ]
