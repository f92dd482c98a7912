"""Bringing a chat history in: ChatGPT's and Claude's data exports, through ``Memory.add``.

    from localmem.frontends.chat_import import ChatImporter, read_export

    export = read_export(Path("chatgpt-export.zip"), "chatgpt")  # every conversation checked
    report = ChatImporter(memory, export.turns, user_id="alice", infer=True).run()

Modules: ``source`` (the file, or the zip around it), ``chatgpt`` / ``claude`` (each format's
shape as pydantic models, to turns), ``turns`` (the turn both produce), ``export`` (the whole
file, checked), ``runner`` (the adds, resumable), ``command`` (``localmem import-chats``).
"""

from localmem.frontends.chat_import.export import FORMATS, Export, read_export
from localmem.frontends.chat_import.runner import ChatImporter, ImportReport
from localmem.frontends.chat_import.turns import KEY_FIELD, ChatTurn

__all__ = [
    "FORMATS", "Export", "read_export", "ChatImporter", "ImportReport", "ChatTurn", "KEY_FIELD",
]
