"""Tests that the documentation's examples run (a package so its module names cannot clash)."""
