"""``python -m transcribe_medical.cli``: the same as the ``transcribe-medical`` command."""

from transcribe_medical.cli.main import run

if __name__ == "__main__":
    run()
