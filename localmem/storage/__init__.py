"""Storage (internal): SQLite is the source of truth; FAISS indexes are derived from it.

The only package that touches SQLite or FAISS.
"""
