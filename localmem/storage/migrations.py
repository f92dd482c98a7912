"""The schema, as named, ordered migrations (``m001_...``); ``Store`` applies the missing ones.

Each runs once, inside the store's write transaction, and is recorded in ``_migrations``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

__all__ = ["MIGRATIONS", "COLUMNS", "MEMORIES", "MESSAGES", "HISTORY", "SCOPE_KEYS"]

MEMORIES = "memories"
MESSAGES = "messages"
HISTORY = "history"
SCOPE_KEYS = ("user_id", "agent_id", "run_id")

def m001_create_tables(db: sqlite_utils.Database) -> None:
    scope_cols = "user_id TEXT, agent_id TEXT, run_id TEXT"
    db.execute(f"""CREATE TABLE memories (
        id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, hash TEXT NOT NULL,
        {scope_cols}, metadata TEXT NOT NULL DEFAULT '{{}}', embedding BLOB NOT NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, observed_at TEXT)""")
    db.execute(f"""CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, content TEXT NOT NULL,
        name TEXT, {scope_cols}, metadata TEXT NOT NULL DEFAULT '{{}}', embedding BLOB,
        created_at TEXT NOT NULL, observed_at TEXT)""")
    db.execute("""CREATE TABLE memory_sources (
        memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        PRIMARY KEY (memory_id, message_id))""")
    db.execute("""CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, memory_id INTEGER NOT NULL, event TEXT NOT NULL,
        old_text TEXT, new_text TEXT, created_at TEXT NOT NULL, actor TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '')""")
    for table in (MEMORIES, MESSAGES):
        for col in SCOPE_KEYS:
            db.execute(f"CREATE INDEX idx_{table}_{col} ON {table}({col})")
    db.execute("CREATE INDEX idx_memories_hash ON memories(hash)")
    db.execute("CREATE INDEX idx_history_memory ON history(memory_id)")
    db.execute("CREATE INDEX idx_sources_message ON memory_sources(message_id)")


def m002_keyword_search(db: sqlite_utils.Database) -> None:
    db[MEMORIES].enable_fts(["text"], create_triggers=True, tokenize="porter")
    db[MESSAGES].enable_fts(["content"], create_triggers=True, tokenize="porter")


def m003_vectors_version(db: sqlite_utils.Database) -> None:
    # Bumped by every write that changes vectors; the saved index records the version it saw.
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('vectors_version', 0)")


def m004_store_settings(db: sqlite_utils.Database) -> None:
    # Facts about the store itself, e.g. which embedder made its vectors.
    db.execute("CREATE TABLE store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def m005_vectors_log(db: sqlite_utils.Database) -> None:
    # Which rows' vectors each vectors_version changed (ids only, never text), so another
    # process can catch up row by row instead of rebuilding; see changelog.py.
    db.execute("""CREATE TABLE vectors_log (
        version INTEGER NOT NULL, table_name TEXT NOT NULL, row_id INTEGER NOT NULL,
        PRIMARY KEY (version, table_name, row_id)) WITHOUT ROWID""")


def m006_fact_slots(db: sqlite_utils.Database) -> None:
    # What a memory is about ("user" / "sister ana") and its attribute key ("job", "home"), so a
    # new value finds the value it replaces. NULL for memories stored before: read from the text.
    db.execute("ALTER TABLE memories ADD COLUMN subject TEXT")
    db.execute("ALTER TABLE memories ADD COLUMN attribute TEXT")
    db.execute("CREATE INDEX idx_memories_attribute ON memories(attribute)")


def m007_valid_time(db: sqlite_utils.Database) -> None:
    # When each memory became true and stopped (observation times, UTC; see validity.py) and the
    # memory that replaced it. A store's rows are all current: they became true when observed
    # (or stored, when no time was given). Memories a model deleted before this migration were
    # removed from the table then; they stay only in history, not as ended rows.
    from localmem.storage.validity import utc  # validity imports this module's names

    db.execute("ALTER TABLE memories ADD COLUMN valid_from TEXT")
    db.execute("ALTER TABLE memories ADD COLUMN valid_to TEXT")
    db.execute("ALTER TABLE memories ADD COLUMN ended_by INTEGER")
    db.execute("UPDATE memories SET valid_from = coalesce(observed_at, created_at)")
    odd = db.execute("SELECT id, valid_from FROM memories WHERE valid_from NOT LIKE "
                     "'____-__-__T__:__:__.______+00:00'").fetchall()
    for memory_id, stamp in odd:  # a time given with another offset: stored in UTC
        try:
            db.execute("UPDATE memories SET valid_from = ? WHERE id = ?", [utc(stamp), memory_id])
        except ValueError:  # not a timestamp (written by hand): kept, it compares as text
            pass
    db.execute("CREATE INDEX idx_memories_valid_to ON memories(valid_to)")
    db.execute("CREATE INDEX idx_memories_ended_by ON memories(ended_by)")


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    m001_create_tables,
    m002_keyword_search,
    m003_vectors_version,
    m004_store_settings,
    m005_vectors_log,
    m006_fact_slots,
    m007_valid_time,
)

# Each data table's columns as the migrations above leave them, in table order. The store's
# reads and writes and the export format all follow this: a migration adding a column adds it here.
COLUMNS: dict[str, tuple[str, ...]] = {
    MESSAGES: ("id", "role", "content", "name", *SCOPE_KEYS, "metadata", "embedding",
               "created_at", "observed_at"),
    MEMORIES: ("id", "text", "hash", *SCOPE_KEYS, "metadata", "embedding", "created_at",
               "updated_at", "observed_at", "subject", "attribute", "valid_from", "valid_to",
               "ended_by"),
    HISTORY: ("id", "memory_id", "event", "old_text", "new_text", "created_at", "actor",
              "reason"),
}
