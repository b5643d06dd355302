"""CRHQ reference web app."""

__version__ = "0.1.0"
