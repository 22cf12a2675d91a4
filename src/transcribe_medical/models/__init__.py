"""Pydantic models shared by the batch and streaming sides (see the package's ``__all__``)."""
