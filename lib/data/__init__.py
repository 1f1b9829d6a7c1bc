"""Published files to canonical Parquet and back: schema, ingest, loader, geography, boundaries, hex layouts, demo data."""
