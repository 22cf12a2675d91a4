"""Option types shared by the commands (``--region``, ``--profile``, ``--endpoint-url``, ...)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from transcribe_medical.models.enums import Specialty, TranscriptionType

#: The connection options that take a value and are accepted before the command name too.
GLOBAL_VALUE_OPTIONS = ("--region", "--profile", "--endpoint-url")

Region = Annotated[str | None, typer.Option("--region", help="AWS Region (default: AWS_REGION / profile).")]
Profile = Annotated[str | None, typer.Option("--profile", help="Named AWS profile (default: AWS_PROFILE).")]
EndpointUrl = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="Endpoint of the service this command calls (e.g. a local emulator)."),
]
SpecialtyOption = Annotated[
    str,
    typer.Option(
        "--specialty",
        help="Medical specialty: "
        + ", ".join(s.value for s in Specialty)
        + " (Primary Care sub-specialties such as 'pediatrics' are accepted).",
    ),
]
TypeOption = Annotated[
    TranscriptionType, typer.Option("--type", case_sensitive=False, help="CONVERSATION or DICTATION.")
]


class TableFormat(str, Enum):
    """Output of the control-plane commands."""

    table = "table"
    json = "json"


FormatOption = Annotated[
    TableFormat, typer.Option("--format", case_sensitive=False, help="table (rich, on a terminal) or json.")
]
