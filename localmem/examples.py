"""The seed's example conversations, shared by the demo, the tests and the docs."""

from __future__ import annotations

__all__ = ["DAVE", "MOVIES"]

DAVE: list[dict[str, str]] = [
    {"role": "user", "content": "Hi there! My name is Dave."},
    {"role": "assistant", "content": "Nice to meet you, Dave!"},
    {"role": "user", "content": "I like to build automations."},
]

MOVIES: list[dict[str, str]] = [
    {"role": "user", "content": "I'm planning to watch a movie tonight. Any recommendations?"},
    {"role": "assistant", "content": "How about a thriller movie? They can be quite engaging."},
    {"role": "user", "content": "I'm not a big fan of thriller movies but I love sci-fi movies."},
    {"role": "assistant", "content": "Got it! I'll avoid thriller recommendations and suggest "
                                     "sci-fi movies in the future."},
]
