"""The deployments file: where the settlement contracts live, keyed by L1 chain id.

Written by the ape ``deploy`` script and by the devnet, read by every agent::

    {
      "31337": {
        "SequencerRegistry": {"address": "0x...", "block": 3},
        "ExecutionLayerRegistry": {"address": "0x...", "block": 4},
        ...
      }
    }

Writes are atomic (temporary file + rename) so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agents.l1.anvil import PROJECT_ROOT

DEFAULT_DEPLOYMENTS_PATH = PROJECT_ROOT / "deployments.json"
#: Environment variable that overrides where the deployments file lives.
DEPLOYMENTS_ENV = "ALTROLLUP_DEPLOYMENTS"


def deployments_path() -> Path:
    """``$ALTROLLUP_DEPLOYMENTS`` if set, else ``deployments.json`` at the project root."""
    configured = os.environ.get(DEPLOYMENTS_ENV)
    return Path(configured) if configured else DEFAULT_DEPLOYMENTS_PATH


class DeploymentError(LookupError):
    """The deployments file is missing, malformed, or lacks the requested contract."""


@dataclass(frozen=True)
class Deployment:
    """One deployed contract."""

    name: str
    address: str
    block: int


def load_deployments(path: Path | None = None) -> dict[str, dict[str, Deployment]]:
    """All deployments in ``path`` by chain id (as a string) and contract name."""
    path = path or deployments_path()
    if not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text())
    except ValueError as error:
        raise DeploymentError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(raw, dict):
        raise DeploymentError(f"{path} must hold an object keyed by chain id")
    result: dict[str, dict[str, Deployment]] = {}
    for chain_id, contracts in raw.items():
        if not isinstance(contracts, dict):
            raise DeploymentError(f"{path}: chain {chain_id} must map names to deployments")
        result[chain_id] = {}
        for name, entry in contracts.items():
            try:
                result[chain_id][name] = Deployment(
                    name, str(entry["address"]), int(entry["block"])
                )
            except (KeyError, TypeError, ValueError):
                raise DeploymentError(f"{path}: bad entry for {name} on chain {chain_id}") from None
    return result


def get_deployment(chain_id: int, name: str, path: Path | None = None) -> Deployment:
    """The deployment of contract ``name`` on L1 chain ``chain_id``."""
    path = path or deployments_path()
    contracts = chain_deployments(chain_id, path)
    if name not in contracts:
        raise DeploymentError(f"{name} is not deployed on chain {chain_id} according to {path}")
    return contracts[name]


def record_deployments(
    chain_id: int, deployed: dict[str, Deployment], path: Path | None = None
) -> None:
    """Replace the entries of ``chain_id`` in ``path`` with ``deployed`` (atomically)."""
    path = path or deployments_path()
    chains = load_deployments(path)
    chains[str(chain_id)] = dict(deployed)
    serializable = {
        chain: {name: {"address": d.address, "block": d.block} for name, d in contracts.items()}
        for chain, contracts in chains.items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".deployments-", suffix=".json")
    with os.fdopen(handle, "w") as out:
        json.dump(serializable, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(temporary, path)


def chain_deployments(chain_id: int, path: Path | None = None) -> dict[str, Deployment]:
    """Every contract deployed on L1 chain ``chain_id``; an error if there is none."""
    path = path or deployments_path()
    contracts = load_deployments(path).get(str(chain_id))
    if not contracts:
        raise DeploymentError(
            f"nothing deployed on chain {chain_id} according to {path}: run the deploy script"
        )
    return contracts
