"""mkdocs hook: pages generated from the package itself, so the docs cannot drift from the code.

* ``<!-- generated: specialties-table -->`` becomes the supported-specialties table, built from
  :data:`transcribe_medical.specialties.SPECIALTY_TABLE` (the one source of truth).
* ``<!-- generated: cli-reference -->`` becomes the help of every ``transcribe-medical`` command,
  read from the typer app through its click command (no extra dependency).
* ``changelog.md`` is ``CHANGELOG.md`` from the repository root.
* ``emulator.md`` is owned by the emulator's authors; until it exists, a short stub stands in so
  that links to it resolve and ``mkdocs build --strict`` passes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

_ROOT = Path(__file__).resolve().parents[2]
_MARKER = re.compile(r"<!--\s*generated:\s*([a-z-]+)\s*-->")
_HELP_WIDTH = 100

_EMULATOR_STUB = """# The local emulator

!!! note "Being written"
    This page is written by the emulator's authors and lands with the emulator. Until then:
    `transcribe-medical serve` starts the emulator on 127.0.0.1 and prints the `export` lines that
    point the SDK and the CLI at it, and `transcribe-medical demo` runs it in-process. See
    [Testing your code](guides/testing.md) for how to use it from pytest.
"""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated pages (the changelog, and the emulator stub when needed)."""
    changelog = _ROOT / "CHANGELOG.md"
    if changelog.exists() and files.get_file_from_path("changelog.md") is None:
        text = changelog.read_text(encoding="utf-8")
        files.append(File.generated(config, "changelog.md", content=text))
    if files.get_file_from_path("emulator.md") is None:
        files.append(File.generated(config, "emulator.md", content=_EMULATOR_STUB))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each ``<!-- generated: NAME -->`` marker with its generated Markdown."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        generator = _GENERATORS.get(name)
        if generator is None:
            raise ValueError(f"{page.file.src_uri}: unknown generated block {name!r}")
        return generator()

    return _MARKER.sub(replace, markdown)


def specialties_table() -> str:
    """The supported-specialties table as Markdown, one row per specialty."""
    from transcribe_medical.specialties import SPECIALTY_TABLE

    lines = [
        "| Specialty | API value | Sub-specialties (accepted as aliases) | Batch | Streaming |",
        "| --- | --- | --- | :---: | :---: |",
    ]
    for row in SPECIALTY_TABLE:
        subs = ", ".join(row.sub_specialties) or "none"
        lines.append(
            f"| {row.display_name} | `{row.specialty.value}` | {subs} | "
            f"{'yes' if row.batch else 'no'} | {'yes' if row.streaming else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def cli_reference() -> str:
    """The help text of the CLI and each of its commands, depth first."""
    from transcribe_medical.cli import commands
    from transcribe_medical.cli.build import build_command

    commands.load_all()
    root = build_command()
    sections: list[str] = []
    _describe(root, "transcribe-medical", None, sections, level=2)
    return "\n".join(sections)


def _describe(command: Any, path: str, parent: Any, sections: list[str], *, level: int) -> None:
    context = command.make_context(
        path.rsplit(" ", 1)[-1],
        [],
        parent=parent,
        resilient_parsing=True,
        terminal_width=_HELP_WIDTH,
        max_content_width=_HELP_WIDTH,
    )
    # The root context must carry the full program name so usage lines read naturally.
    if parent is None:
        context.info_name = path
    help_text = command.get_help(context).rstrip()
    sections.append(f"{'#' * level} `{path}`\n\n```text\n{help_text}\n```\n")
    if hasattr(command, "list_commands"):
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            if sub is None or getattr(sub, "hidden", False):
                continue
            _describe(sub, f"{path} {name}", context, sections, level=min(level + 1, 4))


_GENERATORS = {
    "specialties-table": specialties_table,
    "cli-reference": cli_reference,
}
