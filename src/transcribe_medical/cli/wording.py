"""CLI words for the library's messages: ``--sample-rate 8000``, not ``sample_rate: 8000``.

The library names what is wrong in its own (Python API) words: the field (``sample_rate: 8000 is
invalid: ...``) and the keyword to pass (``pass sample_rate=``). The CLI shows the same message
with the names of the command's own options instead, so neither side mixes the two vocabularies.
This is the one place that translation happens: :func:`option_names` reads the options a command
declares, :func:`cli_words` rewrites a message with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CliOption", "cli_words", "option_names"]

#: API names whose CLI option is named differently (the API name, the CLI option's parameter name).
_API_ALIASES = {
    "region_name": "region",
    "profile_name": "profile",
    "show_speaker_labels": "speaker_labels",
    "max_alternatives": "alternatives",
    "show_alternatives": "alternatives",
    "content_identification_type": "content_identification",
}


@dataclass(frozen=True)
class CliOption:
    """How the CLI spells one parameter.

    Attributes:
        flag: The option as typed (``--sample-rate``).
        is_flag: A switch that takes no value (``--speaker-labels``).
    """

    flag: str
    is_flag: bool


def option_names(params: Iterable[Any]) -> dict[str, CliOption]:
    """The API names a command's click parameters stand for, and how the CLI spells each.

    Args:
        params: The command's click parameters (an argument is spelled by its metavar).
    """
    by_param: dict[str, CliOption] = {}
    for param in params:
        if param.name is None:
            continue
        if param.param_type_name == "argument":  # named by its metavar: MEDIA_URI
            by_param[param.name] = CliOption(str(param.metavar or param.name.upper()), False)
            continue
        long_flags = [str(flag) for flag in getattr(param, "opts", ()) if str(flag).startswith("--")]
        if long_flags:
            by_param[param.name] = CliOption(long_flags[0], bool(getattr(param, "is_flag", False)))
    names = {name.removesuffix("_"): option for name, option in by_param.items()}
    for api_name, param_name in _API_ALIASES.items():
        if param_name in by_param:
            names.setdefault(api_name, by_param[param_name])
    return names


def cli_words(message: str, options: Mapping[str, CliOption]) -> str:
    """``message`` with every API name that ``options`` knows written as the CLI option.

    Rewritten: the field a message starts with (``sample_rate: 8000 is invalid`` becomes
    ``--sample-rate 8000 is invalid``; ``channel_identification: True is invalid`` becomes
    ``--channel-identification is invalid``; ``max_speakers: None is invalid`` becomes
    ``--max-speakers is required``) and keywords (``pass sample_rate=`` becomes
    ``pass --sample-rate``, ``show_speaker_labels=True`` becomes ``--speaker-labels``), and a bare
    mention of a name with an underscore (``without a kms_key_id`` becomes ``without a --kms-key``).
    Other words are left alone, so a name that is also an English word is only rewritten in those
    shapes.

    Args:
        message: A library message, in API words.
        options: From :func:`option_names`, for the command that failed.
    """
    if not options:
        return message
    names = "|".join(sorted((re.escape(name) for name in options), key=len, reverse=True))

    def field(match: re.Match[str]) -> str:
        option = options[match.group("name")]
        value = match.group("value")
        if value is None:
            return f"{option.flag}:"
        if value == "None":  # a required value left out
            return f"{option.flag} is required"
        if option.is_flag and value in ("True", "False"):
            return f"{option.flag} is invalid" if value == "True" else f"no {option.flag} is invalid"
        return f"{option.flag} {value} is invalid"

    message = re.sub(
        rf"^(?:[\w\[\]]+\.)*(?P<name>{names}):(?: (?P<value>\S+) is invalid)?",
        field,
        message,
    )

    def keyword(match: re.Match[str]) -> str:
        option = options[match.group("name")]
        value = match.group("value")
        if option.is_flag:
            # "show_speaker_labels=True: give 2-30": the colon ends the clause, it is not the value.
            stripped = value.rstrip(":")
            trail = value[len(stripped) :]
            return (option.flag if stripped in ("", "True") else f"no {option.flag}") + trail
        return f"{option.flag} {value}" if value else option.flag

    message = re.sub(rf"(?<![\w-])(?P<name>{names})=(?P<value>[^\s,;)]*)", keyword, message)
    # A bare mention ("without a vocabulary_filter_name", "give kms_key_id too") of a name with an
    # underscore, which no English word has: the option itself. Not one of a pair ("a_b/c_d"),
    # whose other half may have no option of its own.
    identifiers = "|".join(sorted((re.escape(name) for name in options if "_" in name), key=len, reverse=True))
    if not identifiers:
        return message
    return re.sub(rf"(?<![\w./-])(?P<name>{identifiers})(?![\w=/-])", lambda m: options[m.group("name")].flag, message)
