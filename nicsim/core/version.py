"""nicsim's version: part of every plan's fingerprint and every manifest."""

__version__ = "0.5.0.dev2"
