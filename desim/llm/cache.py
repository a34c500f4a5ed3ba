"""On-disk cache of parse results: one JSON file per (parser, model, prompt version, text).

The key is the sha256 of those four strings; the directory is the ``cache_dir``
argument, else ``DESIM_CACHE_DIR``, else ``~/.cache/desim``. A cached result
is read back through the validation layer, so an edited or corrupt file can
never bring in an unchecked value (a corrupt file is a miss). Files are
written atomically (temporary file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from desim._io import file_mode
from desim.errors import OutputError
from desim.llm.config import PROVENANCES, ProsumerConfig
from desim.llm.validate import config_from_raw

__all__ = ["ParseCache", "default_cache_dir", "cache_key"]


def default_cache_dir() -> Path:
    """``DESIM_CACHE_DIR`` or ``~/.cache/desim``, plus ``parse/``."""
    root = os.environ.get("DESIM_CACHE_DIR") or Path.home() / ".cache" / "desim"
    return Path(root) / "parse"


def cache_key(parser: str, model: str | None, prompt_version: str, text: str) -> str:
    """sha256 hex digest of the four parts (length-prefixed, so no two inputs collide)."""
    h = hashlib.sha256()
    for part in (parser, model or "", prompt_version, text):
        data = part.encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


class ParseCache:
    """A directory of cached configs (see module docstring)."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) / "parse" if directory is not None else \
            default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> ProsumerConfig | None:
        """The cached config, or None when absent or unreadable."""
        path = self._path(key)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            config = raw["config"]
            provenance = {k: v for k, v in raw.get("provenance", {}).items()
                          if v in PROVENANCES}
            warnings = [str(w) for w in raw.get("warnings", [])]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not isinstance(config, dict):
            return None
        return config_from_raw(config, f"cache {path.name}", provenance, warnings)

    def put(self, key: str, config: ProsumerConfig) -> None:
        """Store a config atomically."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(config.to_json_dict(), fh, indent=1, sort_keys=True)
            os.chmod(tmp, file_mode())
            os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(f"parse cache {self.directory}: could not write {path.name}: "
                              f"{exc}") from exc
