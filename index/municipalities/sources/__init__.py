"""One module per source document of the municipality catalogue (Difu, DESI, the others)."""
