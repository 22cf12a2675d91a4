"""Tests of transcribe_medical.eventstream (a package so its module names cannot clash)."""
