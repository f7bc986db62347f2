"""A strict parser of the Prometheus text exposition format (version 0.0.4), enough to
check that an endpoint's answer is well formed: comments (HELP/TYPE), samples with
optional labels and timestamps, one TYPE per metric family, declared before its
samples."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(
    rf"^(?P<name>{NAME})(?:\{{(?P<labels>(?:{LABEL})(?:,{LABEL})*,?)?\}})?"
    r" (?P<value>[^ ]+)(?: (?P<ts>-?\d+))?$"
)
LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class ExpositionError(ValueError):
    """The text is not valid Prometheus exposition."""


@dataclass
class Exposition:
    types: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def value(self, name: str, **labels: str) -> float | None:
        for sample_name, sample_labels, value in self.samples:
            if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
                return value
        return None

    def names(self) -> set[str]:
        return {name for name, _, _ in self.samples}


def _family(name: str, types: dict[str, str]) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and types.get(base) in ("histogram", "summary"):
            return base
    return name


def parse(text: str) -> Exposition:
    if text and not text.endswith("\n"):
        raise ExpositionError("the exposition must end with a newline")
    out = Exposition()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 2 and parts[1] == "TYPE":
                if len(parts) != 4 or parts[3] not in TYPES or not re.fullmatch(NAME, parts[2]):
                    raise ExpositionError(f"line {number}: bad TYPE line {line!r}")
                if parts[2] in out.types:
                    raise ExpositionError(f"line {number}: second TYPE for {parts[2]}")
                if any(_family(n, out.types) == parts[2] for n, _, _ in out.samples):
                    raise ExpositionError(f"line {number}: TYPE of {parts[2]} after its samples")
                out.types[parts[2]] = parts[3]
            elif len(parts) >= 2 and parts[1] == "HELP":
                if len(parts) < 3 or not re.fullmatch(NAME, parts[2]):
                    raise ExpositionError(f"line {number}: bad HELP line {line!r}")
            continue
        match = SAMPLE.match(line)
        if match is None:
            raise ExpositionError(f"line {number}: not a sample: {line!r}")
        raw = match.group("value")
        try:
            value = float(raw.replace("+Inf", "inf").replace("-Inf", "-inf"))
        except ValueError:
            raise ExpositionError(f"line {number}: bad value {raw!r}") from None
        if math.isnan(value) and raw != "NaN":
            raise ExpositionError(f"line {number}: bad value {raw!r}")
        labels = dict(LABEL_PAIR.findall(match.group("labels") or ""))
        out.samples.append((match.group("name"), labels, value))
    return out
