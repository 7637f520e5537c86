"""Development tools that are not part of the product: benchmarks, load tests, the
screenshot maker and lever experiments. Run from a checkout as ``python -m tools.<name>``;
not packaged (``pyproject.toml`` ships core, ingest, index, service and eval only).
They may import every layer; no product module imports them."""
