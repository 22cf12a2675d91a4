"""Run ``mypy --strict`` on code a user writes, the way it runs in the user's own project.

The user's project has its own mypy configuration, not ours: transcribe-medical is an installed,
typed package (``py.typed``) there, so mypy checks the user's calls against our public types and
does not report errors inside our package or in the libraries it imports (our own code is held to
``mypy --strict src`` in CI). So the check runs with a configuration of its own, not this
repository's ``pyproject.toml`` (whose ``mypy_path = "src"`` would make our sources the user's).

The user runs pydantic's mypy plugin, as pydantic's docs recommend: without it, mypy reads a
model's ``__init__`` from the field annotations and refuses the strings pydantic accepts for enum
fields (``StreamConfig(media_encoding="pcm")``). ``cryptography`` is not followed: the user code
never imports it, but urllib3 (under botocore) does, and the lowest mypy our dev extra allows cannot
parse the stubs of the lowest cryptography.
"""

from __future__ import annotations

from pathlib import Path

_USER_CONFIG = """\
[mypy]
strict = True
plugins = pydantic.mypy

[mypy-cryptography.*]
follow_imports = skip
"""


def users_mypy(code: str, directory: Path) -> tuple[int, str]:
    """mypy's exit status and report for ``code``, checked in ``directory`` as a user's module."""
    from mypy import api

    config = directory / "mypy.ini"
    config.write_text(_USER_CONFIG, encoding="utf-8")
    user = directory / "user_code.py"
    user.write_text(code, encoding="utf-8")
    out, err, status = api.run(
        ["--config-file", str(config), "--no-incremental", "--cache-dir", str(directory / "cache"), str(user)]
    )
    return status, out + err
