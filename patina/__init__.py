"""Patina: conservation monitoring of metal artefacts. This package is the command line."""

__version__ = "0.1.0"
