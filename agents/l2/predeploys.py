"""Predeploys: contracts placed in the rollup's genesis state at fixed addresses.

The only predeploy is ``L2Withdrawals`` (``contracts/l2/L2Withdrawals.sol``) at
:data:`L2_WITHDRAWALS_ADDRESS`: users call ``withdraw(l1Recipient)`` with ETH on L2 and
claim it on L1 from the rollup's ``WithdrawalPortal`` with a Merkle proof
(:mod:`agents.l1.withdrawals`, ``docs/withdrawals.md``).

:func:`genesis_alloc` builds the geth-style ``alloc`` object of the producer's genesis
file (``agents/producer/genesis.py``, ``--genesis FILE``): the funded accounts plus every
predeploy with its runtime code read from forge's artifact (``out/``)::

    {
      "0xf39F...2266": {"balance": "0x21e19e0c9bab2400000"},
      "0x4200000000000000000000000000000000000016": {
        "balance": "0x0", "nonce": "0x1", "code": "0x6080...", "storage": {}
      }
    }

Every producer and verifier must build its genesis from the same artifact, or their
genesis roots differ (the Rollup contract's ``GENESIS_STATE_ROOT`` pins one of them).

The storage layout of ``L2Withdrawals`` is normative (the L1 portal proves against it):
slot 0 is ``mapping(uint256 nonce => bytes32 withdrawalHash)``, so withdrawal ``n``'s
hash lives at :func:`withdrawal_slot` ``(n) = keccak(abi.encode(n, 0))``; slot 1 is the
withdrawal count (the next nonce), slot 2 the total wei withdrawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import is_hex_address, keccak, to_checksum_address

from agents.l1.artifacts import ARTIFACTS_DIR, ArtifactNotFoundError

#: Address of the ``L2Withdrawals`` predeploy (the OP Stack's predeploy namespace
#: ``0x4200…``; ``…0016`` is where the OP Stack keeps its own L2 -> L1 message passer).
L2_WITHDRAWALS_ADDRESS = "0x4200000000000000000000000000000000000016"
#: Storage slot of the ``nonce => withdrawal hash`` mapping.
WITHDRAWAL_HASHES_SLOT = 0
#: Storage slot of the withdrawal count (the next nonce).
WITHDRAWAL_COUNT_SLOT = 1
#: Storage slot of the total wei withdrawn.
TOTAL_WITHDRAWN_SLOT = 2


class PredeployError(ValueError):
    """A genesis allocation cannot be built (bad funded account, missing artifact, clash)."""


@dataclass(frozen=True)
class Predeploy:
    """One genesis contract: its address, runtime code, balance, nonce and storage."""

    name: str
    address: str
    code: bytes
    balance: int = 0
    nonce: int = 1
    storage: dict[int, int] = field(default_factory=dict)

    def alloc_entry(self) -> dict[str, Any]:
        """The geth-style ``alloc`` entry (hex quantities)."""
        return {
            "balance": hex(self.balance),
            "nonce": hex(self.nonce),
            "code": "0x" + self.code.hex(),
            "storage": {hex(k): hex(v) for k, v in sorted(self.storage.items()) if v},
        }


@cache
def runtime_code(name: str, source: str | None = None, root: Path = ARTIFACTS_DIR) -> bytes:
    """The deployed (runtime) bytecode of contract ``name`` from forge's artifact."""
    path = root / f"{source or name}.sol" / f"{name}.json"
    if not path.exists():
        raise ArtifactNotFoundError(f"no artifact {path}: run `forge build` (or `make build`)")
    data = json.loads(path.read_text())
    deployed = data.get("deployedBytecode", {})
    if deployed.get("immutableReferences"):
        raise PredeployError(f"{name} has immutables; a predeploy's code must be complete")
    code = bytes.fromhex(str(deployed.get("object", "0x")).removeprefix("0x"))
    if not code:
        raise PredeployError(f"{name} has no runtime code (abstract contract or interface?)")
    return code


def predeploys(root: Path = ARTIFACTS_DIR) -> tuple[Predeploy, ...]:
    """Every predeploy of the rollup's genesis."""
    return (
        Predeploy(
            "L2Withdrawals",
            L2_WITHDRAWALS_ADDRESS,
            runtime_code("L2Withdrawals", root=root),
        ),
    )


def genesis_alloc(funded: dict[str, int], root: Path = ARTIFACTS_DIR) -> dict[str, Any]:
    """The geth-style ``alloc`` object: ``funded`` (address -> wei) plus the predeploys.

    Addresses are checksummed in the result. A funded address that is not a 20-byte
    hex address, a negative balance, a duplicate address (in two spellings) or a
    funded predeploy address raises :class:`PredeployError`.
    """
    alloc: dict[str, Any] = {}
    for address, balance in funded.items():
        if not isinstance(address, str) or not is_hex_address(address):
            raise PredeployError(f"funded account {address!r} is not a 20-byte hex address")
        if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
            raise PredeployError(f"funded account {address}: balance must be an integer >= 0")
        checksummed = to_checksum_address(address)
        if checksummed in alloc:
            raise PredeployError(f"funded account {checksummed} is listed twice")
        alloc[checksummed] = {"balance": hex(balance)}
    for predeploy in predeploys(root):
        address = to_checksum_address(predeploy.address)
        if address in alloc:
            raise PredeployError(f"{address} is reserved for the {predeploy.name} predeploy")
        alloc[address] = predeploy.alloc_entry()
    return alloc


def withdrawal_hash(nonce: int, l2_sender: str, l1_recipient: str, amount: int) -> bytes:
    """``keccak256(abi.encode(nonce, l2Sender, l1Recipient, amount))``."""
    return keccak(
        abi_encode(
            ["uint256", "address", "address", "uint256"],
            [nonce, to_checksum_address(l2_sender), to_checksum_address(l1_recipient), amount],
        )
    )


def withdrawal_slot(nonce: int) -> int:
    """The predeploy's storage slot of withdrawal ``nonce``: ``keccak(abi.encode(nonce, 0))``."""
    return int.from_bytes(
        keccak(abi_encode(["uint256", "uint256"], [nonce, WITHDRAWAL_HASHES_SLOT])), "big"
    )
