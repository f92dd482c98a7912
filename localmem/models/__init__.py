"""Model files (internal): the catalog, finding them on disk, fetching them, the inventory, GGUF headers."""
