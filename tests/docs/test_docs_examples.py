"""Run the documentation's runnable examples, so the docs cannot drift from the code.

Convention: a fenced ``python`` block directly preceded by the line ``<!-- run -->`` (with the
block's indentation, inside tabs and admonitions) is runnable. Each runnable block is
self-contained and runs on its own, in a fresh namespace, in a temporary working directory, with
the test suite's environment (fake credentials, loopback only).

A block that shows pytest tests defines ``test_*`` functions; each is then called as pytest would,
its parameters filled with the pytest fixtures of those names (the package's plugin provides
``transcribe_medical_client``, ``transcribe_medical_bucket`` and friends).

A block may also name fixtures to activate before it runs: ``<!-- run: transcribe_medical_env -->``
runs it with the emulator started and its ``AWS_*`` variables exported, so the block can build
``TranscribeMedical()`` with no arguments, exactly as a reader who ran ``transcribe-medical serve``
would. A fixture that is not available (the ``[local]`` extra is not installed) skips the block
rather than failing it.

The fixtures that stand in for AWS, the reader's files and devices are in ``conftest.py`` beside
this file (``sample_files``, ``emulator_env``, ``emulator_jobs``, ``comprehend_medical``,
``microphone``); they change the environment, never the example.

Every block runs. A block that cannot (it needs the real AWS, or it is owned by work in progress)
stays unmarked and is listed in :data:`NOT_RUN`, by page and index among the page's Python blocks,
with the reason; an unmarked block missing from that list fails the test, and so does an entry of
the list that no longer names an unmarked block.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"

# Blocks may be indented (inside tabs and admonitions); the marker then has the same indent.
_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker><!--\s*run(?::\s*(?P<fixtures>[\w ,-]+))?\s*-->\n(?P=indent))?"
    r"```(?:python|py)[^\n]*\n(?P<code>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)


#: The blocks that are not run, by (page, index of the block among the page's Python blocks).
NOT_RUN: dict[tuple[str, int], str] = {
    ("migrating.md", 2): (
        "amazon-transcribe's 'before' code streams to AWS's standard (non-medical) Transcribe over "
        "HTTP/2; the emulator speaks the medical WebSocket API only, so it needs a real AWS account"
    ),
}


@dataclass(frozen=True)
class Example:
    """One fenced Python block of a docs page."""

    page: str
    index: int
    line: int
    code: str
    runnable: bool
    fixtures: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def _examples() -> list[Example]:
    examples: list[Example] = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        page = path.relative_to(DOCS).as_posix()
        for index, match in enumerate(_BLOCK.finditer(text)):
            fixtures = tuple(name for name in re.split(r"[\s,]+", match.group("fixtures") or "") if name)
            examples.append(
                Example(
                    page=page,
                    index=index,
                    line=text.count("\n", 0, match.start("code")) + 1,
                    code=textwrap.dedent(match.group("code")),
                    runnable=match.group("marker") is not None,
                    fixtures=fixtures,
                )
            )
    return examples


EXAMPLES = _examples()
RUNNABLE = [example for example in EXAMPLES if example.runnable]


def test_docs_have_runnable_examples() -> None:
    assert RUNNABLE, "no docs page marks an example with <!-- run -->"


def test_every_example_runs_or_says_why_not() -> None:
    unmarked = {(example.page, example.index): example for example in EXAMPLES if not example.runnable}
    unexplained = [example.id for key, example in unmarked.items() if key not in NOT_RUN]
    assert not unexplained, (
        "these docs examples are not run: mark them <!-- run --> (with the fixtures they need) "
        f"or list them in NOT_RUN with the reason: {unexplained}"
    )
    stale = [f"{page} block {index}" for page, index in NOT_RUN if (page, index) not in unmarked]
    assert not stale, f"NOT_RUN lists blocks that are runnable now or gone: remove them: {stale}"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.id)
def test_example_is_valid_python(example: Example) -> None:
    ast.parse(example.code, filename=example.id)


@pytest.mark.parametrize("example", RUNNABLE, ids=lambda example: example.id)
def test_runnable_example(
    example: Example,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in example.fixtures:
        _fixture(request, name)
    monkeypatch.chdir(tmp_path)
    code = compile(example.code, example.id, "exec")
    namespace: dict[str, object] = {"__name__": "__docs_example__"}
    exec(code, namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value(**{parameter: _fixture(request, parameter) for parameter in _required_parameters(value)})


def _fixture(request: pytest.FixtureRequest, name: str) -> object:
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        pytest.skip(f"fixture {name!r} is not available")


def _required_parameters(function: Callable[..., object]) -> list[str]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    return [
        name
        for name, parameter in signature.parameters.items()
        if parameter.default is parameter.empty
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]
