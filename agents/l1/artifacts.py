"""Compiled contract artifacts (ABI and bytecode) produced by ``forge build``.

Forge writes ``out/<File>.sol/<Contract>.json``; the agents load ABIs and creation
bytecode from there. :func:`error_signatures` collects every custom error of every
artifact so revert data can be decoded into a readable name and arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import keccak

from agents.l1.anvil import PROJECT_ROOT

ARTIFACTS_DIR = PROJECT_ROOT / "out"


class ArtifactNotFoundError(LookupError):
    """No compiled artifact for the requested contract: run ``forge build``."""


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes

    @property
    def deployable(self) -> bool:
        return len(self.bytecode) > 0


def _artifact_path(name: str, source: str | None, root: Path) -> Path:
    file_name = f"{source or name}.sol"
    return root / file_name / f"{name}.json"


@cache
def load_artifact(name: str, source: str | None = None, root: Path = ARTIFACTS_DIR) -> Artifact:
    """Load contract ``name`` (from ``<source or name>.sol``) out of forge's output."""
    path = _artifact_path(name, source, root)
    if not path.exists():
        raise ArtifactNotFoundError(f"no artifact {path}: run `forge build` (or `make build`)")
    data = json.loads(path.read_text())
    bytecode_hex = data.get("bytecode", {}).get("object", "0x")
    return Artifact(
        name=name, abi=data["abi"], bytecode=bytes.fromhex(bytecode_hex.removeprefix("0x"))
    )


def _signature(item: dict[str, Any]) -> str:
    def type_of(component: dict[str, Any]) -> str:
        if component["type"].startswith("tuple"):
            inner = ",".join(type_of(sub) for sub in component["components"])
            return f"({inner}){component['type'][5:]}"
        return str(component["type"])

    return f"{item['name']}({','.join(type_of(arg) for arg in item.get('inputs', []))})"


@dataclass(frozen=True)
class ErrorSignature:
    """A Solidity custom error: its selector, canonical signature and ABI inputs."""

    selector: bytes
    signature: str
    inputs: tuple[dict[str, Any], ...]


@cache
def error_signatures(root: Path = ARTIFACTS_DIR) -> dict[bytes, ErrorSignature]:
    """Every custom error declared in any artifact under ``root``, keyed by selector."""
    found: dict[bytes, ErrorSignature] = {}
    if not root.exists():
        return found
    for path in sorted(root.glob("*.sol/*.json")):
        try:
            abi = json.loads(path.read_text()).get("abi", [])
        except (OSError, ValueError):
            continue
        for item in abi:
            if item.get("type") != "error":
                continue
            signature = _signature(item)
            selector = keccak(text=signature)[:4]
            found.setdefault(
                selector, ErrorSignature(selector, signature, tuple(item.get("inputs", [])))
            )
    return found
