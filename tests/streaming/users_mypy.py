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

Every check in one test run shares one incremental cache (a fresh directory per process, removed at
exit): what the user code imports (our package, pydantic, botocore) is analysed once, and each check
after the first analyses only the user's module again. The configuration is the same for every
check, so the cache cannot carry anything from one check into another's result.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_USER_CONFIG = """\
[mypy]
strict = True
plugins = pydantic.mypy

[mypy-cryptography.*]
follow_imports = skip
"""


_cache: Path | None = None


def _shared_cache() -> Path:
    global _cache
    if _cache is None:
        _cache = Path(tempfile.mkdtemp(prefix="users-mypy-cache-"))
        atexit.register(shutil.rmtree, _cache, ignore_errors=True)
    return _cache


def users_mypy(code: str, directory: Path) -> tuple[int, str]:
    """mypy's exit status and report for ``code``, checked in ``directory`` as a user's module."""
    from mypy import api

    config = directory / "mypy.ini"
    config.write_text(_USER_CONFIG, encoding="utf-8")
    user = directory / "user_code.py"
    user.write_text(code, encoding="utf-8")
    out, err, status = api.run(["--config-file", str(config), "--cache-dir", str(_shared_cache()), str(user)])
    return status, out + err
