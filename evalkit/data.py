"""Reading a task's files: parquet, TSV and JSON with errors that name the file and the fix, the
guard that keeps annotation paths inside the dataset root, and evalkit's own cache. Where the
files are found is ``evalkit.layouts``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from .errors import ConfigError, DataError


def cache_dir() -> Path:
    """evalkit's own cache (built presets, images unpacked from parquet): $EVALKIT_CACHE."""
    return Path(os.environ.get("EVALKIT_CACHE", Path.home() / ".cache" / "evalkit"))


def samples_root() -> Path:
    """The bundled samples (inside the installed evalkit.tasks package; a folder name that is not
    an identifier, so Python and setuptools never take the data folders for packages)."""
    import evalkit.tasks

    return Path(evalkit.tasks.__file__).resolve().parent / "sample-data"


def parse_data_arg(value: Optional[str], tasks: list, flag: str = "--data") -> Dict[str, Optional[str]]:
    """'--data X' for every task, or 'task=DIR,task2=DIR2' per task (also --media)."""
    if not value:
        return {t: None for t in tasks}
    if "=" not in value:
        return {t: value for t in tasks}
    out: Dict[str, Optional[str]] = {t: None for t in tasks}
    for item in value.split(","):
        name, _, path = item.partition("=")
        if name not in out:
            raise ConfigError(f"{flag} names task {name!r}, which is not in --task {','.join(tasks)}")
        out[name] = path
    return out


def inside(root: Path, relative: str, what: str) -> Path:
    """``root / relative``, refusing paths that escape ``root`` by their spelling (absolute paths,
    '..'). Symlinks inside the root are followed: a ``videos`` link to another disk is fine."""
    path = Path(os.path.normpath(root / relative))
    if not path.is_relative_to(Path(os.path.normpath(root))):
        raise DataError(f"{what}: path {relative!r} escapes the dataset root {root}; refusing it")
    return path


def media_path(root: Path, stems: Sequence[str], folders: Sequence[str], suffixes: Sequence[str], what: str) -> Path:
    """The first existing ``root/folder/stem+suffix``; if none exists, the first candidate, so that
    reading it fails for that sample alone, naming the path. Paths escaping ``root`` are refused."""
    candidates = [inside(root, f"{folder}/{stem}{suffix}", what)
                  for stem in stems for folder in folders for suffix in suffixes]
    return next((p for p in candidates if p.is_file()), candidates[0])


def read_parquet(path: Path, columns: Sequence[str], what: str) -> List[Dict[str, Any]]:
    """Rows of a parquet file as dicts, checking the columns; DataError naming the file."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise DataError(f"{path}: not a readable parquet file ({exc}); re-download it") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    return table.to_pylist()


def read_tsv(path: Path, columns: Sequence[str], what: str) -> List[Dict[str, Any]]:
    """Rows of a tab-separated table (VLMEvalKit's dataset files), checking the columns."""
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas raises several types for damaged files
        raise DataError(f"{path}: not a readable TSV table ({exc})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    return table.to_dict("records")


def read_json(path: Path, what: str):
    """Parsed JSON of an annotation file, or a DataError naming the file and the problem."""
    import json

    if not path.is_file():
        raise DataError(f"{what} not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); re-download the file") from None


def require(cond: bool, where: str, problem: str) -> None:
    """Raise a DataError saying which file/record is wrong and how, unless ``cond``."""
    if not cond:
        raise DataError(f"{where}: {problem}")
