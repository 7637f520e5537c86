"""praxisfinder's base layer: settings, errors and the data model.

Every layer (``ingest``, ``index``, ``service``, ``eval``) may import it; it imports
none of them. Errors carry no HTTP statuses or exit codes: the service and the CLI map
them at their edge.
"""
