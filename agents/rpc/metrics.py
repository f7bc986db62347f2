"""Prometheus text exposition (format 0.0.4) for counters and gauges, thread-safe."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

LabelSet = tuple[tuple[str, str], ...]


@dataclass
class Metrics:
    """Named counters and gauges with optional labels."""

    prefix: str = ""
    _counters: dict[str, dict[LabelSet, float]] = field(default_factory=dict)
    _gauges: dict[str, dict[LabelSet, float]] = field(default_factory=dict)
    _help: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self, name: str, text: str) -> None:
        self._help[self.prefix + name] = text

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters.setdefault(self.prefix + name, {})
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._gauges.setdefault(self.prefix + name, {})[key] = value

    def value(self, name: str, **labels: str) -> float:
        key = tuple(sorted(labels.items()))
        with self._lock:
            for table in (self._counters, self._gauges):
                if self.prefix + name in table:
                    return table[self.prefix + name].get(key, 0.0)
        return 0.0

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            for kind, table in (("counter", self._counters), ("gauge", self._gauges)):
                for name in sorted(table):
                    if name in self._help:
                        lines.append(f"# HELP {name} {self._help[name]}")
                    lines.append(f"# TYPE {name} {kind}")
                    for labels, value in sorted(table[name].items()):
                        lines.append(f"{name}{_labels(labels)} {_number(value)}")
        return "\n".join(lines) + "\n"


def _labels(labels: LabelSet) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
