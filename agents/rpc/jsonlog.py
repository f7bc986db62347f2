"""Structured logging: one JSON object per line (``ts``, ``component``, ``event``, fields)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class JsonLog:
    """Write ``{"ts": ..., "component": ..., "event": ..., **fields}`` lines to ``stream``."""

    component: str
    stream: TextIO | None = None
    clock: Callable[[], float] = time.time
    enabled: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: str, **fields: Any) -> None:
        if not self.enabled:
            return
        record = {"ts": round(self.clock(), 6), "component": self.component, "event": event}
        record.update(fields)
        line = json.dumps(record, separators=(",", ":"), default=str)
        stream = self.stream if self.stream is not None else sys.stderr
        with self._lock:
            stream.write(line + "\n")
            stream.flush()
