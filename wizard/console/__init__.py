"""The operator console at /console (docs/console.md)."""
