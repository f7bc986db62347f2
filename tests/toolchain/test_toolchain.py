"""The offline toolchain: tools/solc answers like native solc, and every consumer works.

These are the facts the rest of the project stands on: forge, ape-solidity and
py-solc-x all compile through ``tools/solc`` (solc-js underneath) with no download.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.l1.anvil import PROJECT_ROOT

SOLC = PROJECT_ROOT / "tools" / "solc"
SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract Probe is ERC20 { constructor() ERC20("Probe", "PRB") { _mint(msg.sender, 7); } }
"""


def test_version_looks_native() -> None:
    out = subprocess.run([str(SOLC), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[1].startswith("Version: 0.8.37+commit.")
    assert out.stdout.strip().endswith(".Linux.g++")


def test_unsupported_mode_is_a_clear_error() -> None:
    out = subprocess.run([str(SOLC), "contract.sol"], capture_output=True, text=True)
    assert out.returncode == 1
    assert "unsupported argument" in out.stderr


def test_py_solc_x_compile_standard_with_imports() -> None:
    import solcx

    result = solcx.compile_standard(
        {
            "language": "Solidity",
            "sources": {"Probe.sol": {"content": SOURCE}},
            "settings": {
                "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
            },
        },
        solc_binary=str(SOLC),
        base_path=str(PROJECT_ROOT),
        allow_paths=[str(PROJECT_ROOT)],
    )
    probe = result["contracts"]["Probe.sol"]["Probe"]
    assert len(probe["evm"]["bytecode"]["object"]) > 1000
    assert any(item.get("name") == "totalSupply" for item in probe["abi"])


def test_solcx_finds_the_installed_compiler() -> None:
    """ape-solidity asks py-solc-x for installed versions; `make setup` provides 0.8.37."""
    import solcx

    assert "0.8.37" in [str(version) for version in solcx.get_installed_solc_versions()]


# ape writes .build/ in the project: share a worker with the ape-script tests.
@pytest.mark.xdist_group("ape-scripts")
def test_ape_compile() -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    ape = str(Path(sys.executable).with_name("ape"))
    out = subprocess.run(
        [ape, "compile"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    manifest = json.loads((PROJECT_ROOT / ".build" / "__local__.json").read_text())
    names = set(manifest.get("contractTypes", {}))
    assert {"SequencerRegistry", "ExecutionLayerRegistry", "DevnetToken"} <= names
