"""The web layer: the only part of tacase that imports Flask."""

from tacase.web.app import create_app

__all__ = ["create_app"]
