"""Helpers of the HealthScribe tests: AWS's published examples and a request counter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AWS = Path(__file__).resolve().parents[1] / "fixtures" / "aws" / "healthscribe"
ROLE_ARN = "arn:aws:iam::111122223333:role/HealthScribeAccess"
CHANNELS = [
    {"channel_id": 0, "participant_role": "CLINICIAN"},
    {"channel_id": 1, "participant_role": "PATIENT"},
]


def aws_example(name: str) -> bytes:
    """One of AWS's published HealthScribe examples, as saved (tests/fixtures/aws/SOURCES.md)."""
    return (AWS / name).read_bytes()


def aws_json(name: str) -> Any:
    """The same, parsed."""
    return json.loads(aws_example(name))


class Sent:
    """Counts the requests botocore was about to build (none may be sent for a refused request)."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)
