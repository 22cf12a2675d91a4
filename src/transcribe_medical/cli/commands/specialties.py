"""``transcribe-medical specialties``: the supported-specialties table."""

from __future__ import annotations

from transcribe_medical.cli.app import app
from transcribe_medical.cli.options import FormatOption, TableFormat
from transcribe_medical.cli.output import print_json, print_table
from transcribe_medical.specialties import SPECIALTY_TABLE


@app.command("specialties")
def specialties(output_format: FormatOption = TableFormat.table) -> None:
    """Show the supported specialties, their sub-specialties, and batch/streaming support."""
    rows = [
        {
            "specialty": row.specialty.value,
            "name": row.display_name,
            "sub_specialties": ", ".join(row.sub_specialties) or "none",
            "batch": "yes" if row.batch else "no",
            "streaming": "yes" if row.streaming else "no",
        }
        for row in SPECIALTY_TABLE
    ]
    if output_format is TableFormat.json:
        print_json(rows)
    else:
        print_table(rows, ["specialty", "name", "sub_specialties", "batch", "streaming"], title="Supported specialties")
