"""tacase: case management for technical-assistance and fund requests to the human-rights office."""

__version__ = "0.1.0"
