"""Name -> factory registries for tasks and model adapters.

Built-ins and third-party plugins are found the same way, through the entry-point groups
``evalkit.tasks``, ``evalkit.models`` and ``evalkit.commands`` (subcommands an adapter package
contributes); :meth:`Registry.register` adds entries at run time.
"""
from __future__ import annotations

import difflib
from importlib.metadata import entry_points
from typing import Any, Callable, Dict, Iterable, List

from .errors import ConfigError


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' Did you mean X?' suffix for an unknown name, or '' (case does not count: 'VideoMME'
    suggests 'videomme')."""
    by_lower: Dict[str, str] = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    return f" Did you mean {' or '.join(repr(by_lower[c]) for c in close)}?" if close else ""


class Registry:
    def __init__(self, kind: str, group: str):
        self.kind = kind
        self.group = group
        self._loaded: Dict[str, Any] = {}

    def _entry_points(self) -> Dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def register(self, name: str, factory: Any = None) -> Callable:
        """Register ``factory`` under ``name``; usable as a decorator."""

        def add(obj: Any) -> Any:
            self._loaded[name] = obj
            return obj

        return add(factory) if factory is not None else add

    def unregister(self, name: str) -> None:
        """Remove an entry added with :meth:`register` (entry points come back on the next get)."""
        self._loaded.pop(name, None)

    def names(self) -> List[str]:
        return sorted(set(self._entry_points()) | set(self._loaded))

    def get(self, name: str) -> Any:
        if name in self._loaded:
            return self._loaded[name]
        eps = self._entry_points()
        if name not in eps:
            raise ConfigError(
                f"unknown {self.kind} {name!r}.{did_you_mean(name, self.names())} "
                f"Run `evalkit {self.kind}s` to list them."
            )
        self._loaded[name] = eps[name].load()
        return self._loaded[name]


TASKS = Registry("task", "evalkit.tasks")
MODELS = Registry("model", "evalkit.models")
COMMANDS = Registry("command", "evalkit.commands")  # subcommands contributed by adapter packages
