"""PostgreSQL + pgvector storage (internal): a shared store for many nodes.

psycopg 3 and psycopg_pool are imported only when a store is opened
(``pip install "localmem[postgres]"``).
"""

from __future__ import annotations

from localmem.storage.postgres.connection import redact
from localmem.storage.postgres.storage import PostgresStorage, open_postgres

__all__ = ["PostgresStorage", "open_postgres", "redact"]
