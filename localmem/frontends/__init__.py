"""Frontends over ``Memory``: the CLI, the terminal chat, the REST server, MCP, JSON Lines transfer."""
