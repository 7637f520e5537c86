"""praxisfinder: ingest layer."""
