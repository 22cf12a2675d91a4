"""Every numeric limit of the service in one place (AWS model and docs; see docs/concepts)."""

from __future__ import annotations

from typing import Final

LANGUAGE_CODE: Final = "en-US"

NAME_PATTERN: Final = r"^[0-9a-zA-Z._-]+$"
NAME_MAX_LENGTH: Final = 200
URI_MAX_LENGTH: Final = 2000
BUCKET_PATTERN: Final = r"^[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]$"
BUCKET_MAX_LENGTH: Final = 63
OUTPUT_KEY_PATTERN: Final = r"^[a-zA-Z0-9\-_.!*'()/]{1,1024}$"
KMS_KEY_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$"
KMS_KEY_MAX_LENGTH: Final = 2048
KMS_CONTEXT_MIN: Final = 1
KMS_CONTEXT_MAX: Final = 10
KMS_CONTEXT_TEXT_MAX: Final = 2000
TAGS_MIN: Final = 1
TAGS_MAX: Final = 200
TAG_KEY_MAX: Final = 128
TAG_VALUE_MAX: Final = 256

SAMPLE_RATE_MIN: Final = 16_000
SAMPLE_RATE_MAX: Final = 48_000
SPEAKERS_MIN: Final = 2
SPEAKERS_MAX: Final = 30
ALTERNATIVES_MIN: Final = 2
ALTERNATIVES_MAX: Final = 10
MAX_RESULTS_MIN: Final = 1
MAX_RESULTS_MAX: Final = 100
STREAM_CHANNELS: Final = 2

# Streaming
STREAMING_PORT: Final = 8443
STREAMING_PATH: Final = "/medical-stream-transcription-websocket"
STREAMING_SIGNING_NAME: Final = "transcribe"
PRESIGN_MAX_EXPIRES: Final = 300
AUDIO_EVENT_MAX_PAYLOAD: Final = 32_768
CHUNK_MIN_MS: Final = 50
CHUNK_MAX_MS: Final = 200
CHUNK_DEFAULT_MS: Final = 100
STREAM_IDLE_TIMEOUT_S: Final = 15.0
STREAM_MAX_DURATION_S: Final = 14_400.0
CONCURRENT_STREAMS_DEFAULT: Final = 25
SESSION_ID_PATTERN: Final = r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$"
# What a client keeps per stream for the service's results (a hostile peer must not grow it
# without bound). The service has one result in progress per channel at a time; results still
# partial beyond this many are forgotten, least recently updated first.
STREAM_MAX_PARTIALS: Final = 64
# Final ResultIds remembered to ignore a final sent again (the service repeats only recent ones).
STREAM_MAX_FINAL_IDS: Final = 4096

# Event stream codec
EVENTSTREAM_MAX_MESSAGE_SIZE: Final = 1024 * 1024
EVENTSTREAM_MAX_HEADERS_SIZE: Final = 128 * 1024

# StartMedicalTranscriptionJob requests per second, the default quota: AWS's "Guidelines and quotas"
# page (docs.aws.amazon.com/transcribe/latest/dg/limits-guidelines.html, read 2026-11-22) gives 25 TPS
# for StartTranscriptionJob, adjustable; it lists no medical figure of its own (taken to be the same).
START_JOB_TPS_DEFAULT: Final = 25.0

# Batch media (AWS quotas: 2 GB per file, 4 h of audio)
BATCH_MEDIA_MAX_BYTES: Final = 2 * 1024**3

# Vocabularies
VOCABULARY_MAX_BYTES: Final = 50 * 1024
PHRASE_MAX_CHARS: Final = 256

# Retries (DESIGN.md: 3 attempts, exponential 0.5 -> 8 s with full jitter)
RETRY_MAX_ATTEMPTS: Final = 3
RETRY_INITIAL_S: Final = 0.5
RETRY_MAX_S: Final = 8.0
