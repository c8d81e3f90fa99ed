"""The version of nabi_music (one place, read by the bundles and the report pages)."""

__version__ = "0.1.0"
