"""The redaction filter keeps credentials, signatures, presigned URLs, audio and text out of logs."""

from __future__ import annotations

import logging

import pytest

from transcribe_medical._logging import RedactionFilter, get_logger, redact

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+EXAMPLE/token=="
SIGNATURE = "579c91a10ec230780ea68270c1360e526f9bef49dbd1743b30e6ebd6fa57fbd3"
URL = (
    "wss://transcribestreaming.us-east-1.amazonaws.com:8443/medical-stream-transcription-websocket?"
    "language-code=en-US&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261122%2Fus-east-1%2Ftranscribe"
    f"&X-Amz-Security-Token={TOKEN}&X-Amz-Signature={SIGNATURE}"
)


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        (f"connecting to {URL}", ["X-Amz-Signature=5", SIGNATURE, "AKIAIOSFODNN7EXAMPLE", "IQoJb3Jp"]),
        (f"aws_secret_access_key = {SECRET}", [SECRET]),
        (f"{{'SessionToken': 'x', 'session_token': '{TOKEN}'}}", [TOKEN]),
        (
            "Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/transcribe/aws4_request, Signature=" + SIGNATURE,
            ["AKIAIOSFODNN7EXAMPLE", SIGNATURE],
        ),
        ('{"Transcript": "patient reports chest pain", "Content": "aspirin"}', ["chest pain", "aspirin"]),
        ('{"transcript": "Mr. Alvarez", "content": "Alvarez"}', ["Alvarez"]),
    ],
)
def test_redact_removes_secrets_and_text(text: str, forbidden: list[str]) -> None:
    cleaned = redact(text)
    for piece in forbidden:
        assert piece not in cleaned


def test_redact_keeps_harmless_text() -> None:
    assert redact("job demo-1 moved to COMPLETED") == "job demo-1 moved to COMPLETED"


def test_filter_redacts_arguments_and_replaces_bytes(caplog: pytest.LogCaptureFixture) -> None:
    logger = get_logger("test")
    with caplog.at_level(logging.DEBUG, logger="transcribe_medical"):
        logger.debug("url %s audio %s", URL, b"\x01\x02\x03")
    text = caplog.text
    assert SIGNATURE not in text and "\x01\x02" not in text
    assert "<3 bytes>" in text


def test_filter_redacts_exception_text() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    try:
        raise RuntimeError(f"handshake to {URL} failed")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactionFilter().filter(record)
    assert record.exc_text is not None and SIGNATURE not in record.exc_text
    assert record.exc_info is None


def test_library_logger_carries_the_filter() -> None:
    assert any(isinstance(f, RedactionFilter) for f in logging.getLogger("transcribe_medical").filters)


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        # A credential scope on its own, plain and URL-encoded.
        ("scope AKIDEXAMPLE000000001/20261122/us-east-1/transcribe/aws4_request", ["AKIDEXAMPLE000000001"]),
        ("AKIDEXAMPLE000000001%2F20261122%2Fus-east-1%2Ftranscribe%2Faws4_request", ["AKIDEXAMPLE000000001"]),
        # Query parameters as a dict repr, and botocore's credential field names.
        (f"{{'X-Amz-Signature': '{SIGNATURE}', 'X-Amz-Security-Token': '{TOKEN}'}}", [SIGNATURE, "IQoJb3Jp"]),
        (f"{{'AccessKeyId': 'ASIA', 'SecretAccessKey': '{SECRET}', 'SessionToken': '{TOKEN}'}}", [SECRET, "IQoJb3Jp"]),
        # A proxy URL with a password.
        ("via http://clinic-user:pr0xy-Passw0rd@proxy.internal:3128 failed", ["pr0xy-Passw0rd", "clinic-user"]),
    ],
)
def test_redact_removes_scopes_dict_forms_and_url_passwords(text: str, forbidden: list[str]) -> None:
    cleaned = redact(text)
    for piece in forbidden:
        assert piece not in cleaned


def test_redact_keeps_a_proxy_url_without_password() -> None:
    assert redact("via http://proxy.internal:3128") == "via http://proxy.internal:3128"


def test_remembered_secrets_are_redacted_by_value_in_any_form() -> None:
    from urllib.parse import quote

    from transcribe_medical._logging import remember_secret

    value = "Remembered/Secret+Value0000example"
    remember_secret(value)
    remember_secret("short")  # too short to be redacted by value: it would mangle ordinary text
    cleaned = redact(f"error: bad key {value} ({quote(value, safe='')}) short")
    assert value not in cleaned and quote(value, safe="") not in cleaned
    assert cleaned.endswith(" short")


def test_the_facade_remembers_the_credentials_it_resolves(monkeypatch: pytest.MonkeyPatch) -> None:
    from transcribe_medical import TranscribeMedical

    token = "FwoGZXIvYXdzEJr//////////wEaDRememberedToken0000=="
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    TranscribeMedical(region_name="us-east-1").credentials()
    assert token not in redact(f"the token was {token}")
