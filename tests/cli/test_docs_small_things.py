"""Small things a newcomer met in the docs: what `mkdocs serve` needs; names in tables kept whole."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_says_mkdocs_serve_needs_the_dev_extra() -> None:
    readme = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    sentence = next(part for part in re.split(r"(?<=[.:])\s", readme) if "mkdocs serve" in part)
    assert '".[dev]"' in sentence, sentence
    dev = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    assert any(requirement.startswith(("mkdocs-material", "mkdocstrings")) for requirement in dev)


def test_names_in_doc_tables_are_never_broken_mid_word() -> None:
    config = ROOT.joinpath("mkdocs.yml").read_text(encoding="utf-8")
    stylesheet = re.search(r"extra_css:\s*\n\s*-\s*(\S+)", config)
    assert stylesheet is not None
    css = ROOT.joinpath("docs", stylesheet.group(1)).read_text(encoding="utf-8")
    rule = re.search(r"\.md-typeset table code\s*\{([^}]*)\}", css)
    assert rule is not None
    declarations = {
        name.strip(): value.strip() for name, value in re.findall(r"([\w-]+)\s*:\s*([^;]+);", rule.group(1))
    }
    assert declarations["word-break"] == "normal"
    assert declarations["overflow-wrap"] == "normal"
    assert declarations["white-space"] == "nowrap"
