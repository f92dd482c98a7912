"""The engine (internal): extract -> ground -> dedupe -> decide -> commit, and hybrid retrieval."""
