"""``evalkit import``: another harness's predictions as an evalkit replay file.

lmms-eval logs ``<output>/<model>/<date>_samples_<task>.jsonl``: one line per document with
``doc_id``, ``filtered_resps`` (the response; a one-element list is unwrapped), ``resps`` (dropped
when equal), ``target``, ``input`` and one dict per metric, which holds the upstream ids (``doc``
itself is not logged). VLMEvalKit writes ``<model>_<dataset>.xlsx`` (or ``.tsv``): the dataset
table's columns, its ``index``, and ``prediction``. Each row is mapped to an evalkit sample id
through the task's keys (``Task.sample_keys`` / ``lmms_eval_key`` / ``vlmevalkit_key``), or by
its position where the task's data was read in the layout the harness numbers rows by. Rows that
cannot be mapped are listed (and written beside the output), never dropped silently.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from .errors import ConfigError, DataError
from .samples import TaskData
from .task import Task

HARNESSES = ("lmms-eval", "vlmevalkit")


@dataclass
class Imported:
    rows: List[Dict[str, Any]] = field(default_factory=list)  # {"id", "response"} in dataset order
    unmapped: List[Dict[str, Any]] = field(default_factory=list)  # {"source", "reason"}
    by_position: int = 0  # rows mapped by their position rather than a key
    source: Optional[Path] = None  # the file or folder read
    files: List[Path] = field(default_factory=list)  # the logs read under it
    missing: List[str] = field(default_factory=list)  # the harness's task names no log was found for


def lmms_eval_names(task: Task) -> Tuple[str, ...]:
    """The lmms-eval task names ``task`` is logged under (MVBench: one per sub-task)."""
    name = task.lmms_eval_task
    return () if name is None else (name,) if isinstance(name, str) else tuple(name)


def lmms_eval_files(path: Path, task: Task) -> Tuple[List[Path], List[str]]:
    """``[path]`` itself, or under the folder ``path`` the one ``*_samples_<name>.jsonl`` of each of
    the task's lmms-eval names; with the names no log was found for (a partial lmms-eval run)."""
    if path.is_file():
        return [path], []
    if not path.is_dir():
        raise ConfigError(f"{path}: no such file or directory")
    names = lmms_eval_names(task)
    if not names:
        raise ConfigError(f"{task.name} has no lmms-eval counterpart; name the samples file itself")
    files, missing = [], []
    for name in names:
        found = sorted(path.rglob(f"*_samples_{name}.jsonl"))
        if len(found) > 1:
            raise ConfigError(f"{len(found)} lmms-eval sample logs for {name} under {path}: "
                              + ", ".join(str(f) for f in found) + "; name the one to import")
        files += found
        missing += [] if found else [name]
    if not files:
        wanted = names[0] if len(names) == 1 else "{" + ",".join(names) + "}"
        raise ConfigError(f"no *_samples_{wanted}.jsonl under {path} (lmms-eval writes one per task with "
                          "--log_samples)")
    return files, missing


def lmms_eval_logs(files: List[Path]) -> Iterator[Tuple[str, Mapping[str, Any]]]:
    for path in files:
        yield from lmms_eval_rows(path)


def lmms_eval_rows(path: Path) -> Iterator[Tuple[str, Mapping[str, Any]]]:
    for n, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}:{n}: not UTF-8 text (byte {raw[exc.start]:#04x}); is it an lmms-eval samples "
                            "log? lmms-eval writes UTF-8") from None
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}:{n}: not a JSON line ({exc}); is it an lmms-eval samples log?") from None
        if not isinstance(row, dict) or "doc_id" not in row or "filtered_resps" not in row:
            raise DataError(f"{path}:{n}: no doc_id/filtered_resps; not an lmms-eval samples log line")
        yield f"{path}:{n}", row


def lmms_eval_response(row: Mapping[str, Any]) -> Optional[str]:
    """The filtered response (unwrapping the one-element lists lmms-eval leaves)."""
    value: Any = row["filtered_resps"]
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None or isinstance(value, str):
        return value
    raise DataError(f"doc_id {row.get('doc_id')}: filtered_resps {value!r} is not one text response")


def vlmevalkit_rows(path: Path) -> Iterator[Tuple[str, Mapping[str, Any]]]:
    import pandas as pd

    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            table = pd.read_excel(path)
        elif path.suffix.lower() == ".json":
            table = pd.read_json(path)
        else:
            table = pd.read_csv(path, sep="\t")
    except Exception as exc:  # pandas/openpyxl raise many types
        raise DataError(f"{path}: not a readable prediction table ({exc})") from None
    for col in ("index", "prediction"):
        if col not in table.columns:
            raise DataError(f"{path}: no {col!r} column; VLMEvalKit prediction files have index and prediction")
    formulas = formula_cells(path, table) if path.suffix.lower() == ".xlsx" else {}
    for n, row in enumerate(table.to_dict("records"), 2):  # row 1 is the header
        if n in formulas:
            row = {**row, "prediction": Formula(formulas[n])}
        yield f"{path} row {n}", row


class Formula(str):
    """A spreadsheet cell that holds a formula and no computed value: not a prediction."""


def formula_cells(path: Path, table: Any) -> Dict[int, str]:
    """{sheet row: formula} of the ``prediction`` cells that hold formulas (a file saved by a
    program that wrote formulas without computing them has no value for pandas to read)."""
    from openpyxl import load_workbook

    column = list(table.columns).index("prediction") + 1
    sheet = load_workbook(path, read_only=True, data_only=False).active
    out: Dict[int, str] = {}
    for n, (cell,) in enumerate(sheet.iter_rows(min_row=2, min_col=column, max_col=column), 2):
        if isinstance(cell.value, str) and cell.value.startswith("="):
            out[n] = cell.value
    return out


def vlmevalkit_response(row: Mapping[str, Any]) -> Optional[str]:
    value = row["prediction"]
    if isinstance(value, Formula):
        raise Unreadable(f"the prediction cell holds the formula {value} and no value: open the file in a "
                         "spreadsheet and save it (or export values) so the cell holds the prediction")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def import_predictions(harness: str, path: Path, task: Task, data: TaskData) -> Imported:
    """Map every prediction row of ``harness`` at ``path`` to a sample of ``data``."""
    if harness not in HARNESSES:
        raise ConfigError(f"unknown harness {harness!r}: use one of {', '.join(HARNESSES)}")
    keys: Dict[Tuple[Any, ...], Optional[str]] = {}
    for s in data.samples:
        for known in task.sample_keys(s):
            if known in keys:  # a key two samples share identifies neither
                keys[known] = None
            else:
                keys[known] = s.id
    out = Imported(source=path)
    got: Dict[str, Optional[str]] = {}
    key_of: Callable[[Mapping[str, Any]], Optional[Tuple[Any, ...]]]
    if harness == "lmms-eval":
        out.files, out.missing = lmms_eval_files(path, task)
        rows, key_of, position_column, response_of = (lmms_eval_logs(out.files), task.lmms_eval_key, "doc_id",
                                                      lmms_eval_response)
    else:
        out.files = [path]
        rows, key_of, position_column, response_of = (vlmevalkit_rows(path), task.vlmevalkit_key, "index",
                                                      vlmevalkit_response)
    # positions number the rows of one file, in the order of the layout the harness reads
    by_position = data.layout in task.positional.get(harness, ()) and len(out.files) == 1
    for where, row in rows:
        key, position = key_of(row), row_position(where, row, position_column)
        sid = keys.get(key) if key is not None else None
        # a row whose key names no sample is another dataset's row: its position proves nothing
        unkeyed = key is None or keys.get(key, "") is None
        if sid is None and unkeyed and by_position and position is not None and 0 <= position < len(data.samples):
            sid = data.samples[position].id
            out.by_position += 1
        if sid is None:
            reason = (f"key {key!r} names no sample of {task.name}" if key is not None and key not in keys else
                      f"key {key!r} is shared by several samples" if key is not None else
                      f"no key, and positions map rows only when the data is read in layout "
                      f"{' or '.join(task.positional.get(harness, ())) or '(none)'} (it was read in {data.layout})")
            out.unmapped.append({"source": where, "reason": reason})
            continue
        if sid in got:
            out.unmapped.append({"source": where, "reason": f"a second prediction for {sid}"})
            continue
        try:
            got[sid] = response_of(row)
        except Unreadable as exc:
            out.unmapped.append({"source": where, "reason": str(exc)})
    out.rows = [{"id": s.id, "response": got[s.id]} for s in data.samples if s.id in got]
    return out


class Unreadable(Exception):
    """A prediction row whose response cannot be read; listed as not imported, with the reason."""


def row_position(where: str, row: Mapping[str, Any], column: str) -> Optional[int]:
    """The row's position number (lmms-eval's ``doc_id``, VLMEvalKit's ``index``), or None when it
    is not a number at all (a text index); an empty or NaN cell is an error naming the row."""
    value = row[column]
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, float) and (math.isnan(value) or not value.is_integer()):
        raise DataError(f"{where}: {column!r} is {'empty' if math.isnan(value) else value}; every prediction row "
                        f"needs its {column} (the file is damaged or was edited: re-export it)")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(f"{where}: {column!r} is empty; every prediction row needs its {column} (the file is damaged "
                        "or was edited: re-export it)")
    return int(value) if isinstance(value, (int, float)) else None


def write_replay(imported: Imported, out: Path) -> Optional[Path]:
    """The replay file, and beside it ``<out>.unmapped.jsonl`` when rows were left out."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in imported.rows), encoding="utf-8")
    side = out.with_name(out.name + ".unmapped.jsonl")
    if not imported.unmapped:
        side.unlink(missing_ok=True)
        return None
    side.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in imported.unmapped), encoding="utf-8")
    return side
