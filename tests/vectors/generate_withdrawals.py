"""Generate tests/vectors/withdrawals.json: L2 -> L1 withdrawal proofs from a real state.

A fresh :class:`~agents.evm.store.MerkleStore` gets the rollup genesis (40 funded
accounts plus the ``L2Withdrawals`` predeploy from forge's artifact), then three
``withdraw`` transactions run in the Python EVM (:mod:`agents.l2.sandbox`). For each
withdrawal the file holds its fields, hash and slot, and the account + storage proofs
against the final state root; plus one proof of withdrawal 0 against the root right
after it (an earlier final pack); and one withdrawal in a state with 20,000 more
accounts (an account proof of depth 13, for the gas of realistic proofs). Read by
tests/forge/withdrawals/ and checked by tests/withdrawals/test_withdrawal_proofs.py.
Deterministic: rerunning reproduces the file byte for byte (as long as the predeploy's
bytecode does not change).

    .venv/bin/python tests/vectors/generate_withdrawals.py          # rewrite the file
    .venv/bin/python tests/vectors/generate_withdrawals.py --check  # exit 1 if stale
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from eth_utils import keccak, to_checksum_address  # noqa: E402

from agents.evm import smt  # noqa: E402
from agents.evm.transactions import address_of_key  # noqa: E402
from agents.l1.withdrawals import (  # noqa: E402
    Withdrawal,
    WithdrawalProof,
    build_withdrawal_proof,
    withdrawals_from_logs,
)
from agents.l2.predeploys import L2_WITHDRAWALS_ADDRESS  # noqa: E402
from agents.l2.sandbox import Sandbox  # noqa: E402

OUT = Path(__file__).with_name("withdrawals.json")
CHAIN_ID = 900_001
ETHER = 10**18
DEEP_ACCOUNTS = 20_000


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _key(index: int) -> bytes:
    return keccak(f"withdrawal vectors/{index}".encode())


def _smt(proof: smt.SmtProof) -> dict[str, Any]:
    if proof.terminal_leaf is not None:
        raise ValueError("inclusion proofs carry no terminal leaf")
    return {
        "depth": proof.depth,
        "siblingBitmap": _hex(proof.sibling_bitmap.to_bytes(32, "big")),
        "siblings": [_hex(s) for s in proof.siblings],
        "deepestSiblingPreimage": _hex(proof.deepest_sibling_preimage or b""),
    }


def _proof(proof: WithdrawalProof) -> dict[str, Any]:
    a = proof.account
    return {
        "stateRoot": _hex(proof.state_root),
        "account": {
            "nonce": a.nonce,
            "balance": str(a.balance),
            "storageRoot": _hex(a.storage_root),
            "codeHash": _hex(a.code_hash),
            "codeRoot": _hex(a.code_root),
            "codeSize": a.code_size,
        },
        "accountProof": _smt(proof.account_proof),
        "storageProof": _smt(proof.storage_proof),
        "sizeBytes": proof.size_bytes(),
    }


def _entry(w: Withdrawal, proof: WithdrawalProof) -> dict[str, Any]:
    return {
        "nonce": w.nonce,
        "l2Sender": w.l2_sender,
        "l1Recipient": w.l1_recipient,
        "amount": str(w.amount),
        "hash": _hex(w.hash),
        "slot": _hex(w.slot.to_bytes(32, "big")),
        "proof": _proof(proof),
    }


def build_deep(tmp: Path) -> dict[str, Any]:
    """One withdrawal in a state of ``DEEP_ACCOUNTS + 1`` accounts."""
    key = _key(10_000)
    funded: dict[str, int] = {
        to_checksum_address(keccak(b"deep account %d" % i)[12:]): 1 for i in range(DEEP_ACCOUNTS)
    }
    funded[to_checksum_address(address_of_key(key))] = 100 * ETHER
    sandbox = Sandbox.create(tmp / "deep", CHAIN_ID, funded)
    result = sandbox.withdraw(key, "0x000000000000000000000000000000000000dEaD", ETHER)
    (withdrawal,) = withdrawals_from_logs(result.logs)
    proof = build_withdrawal_proof(sandbox.store, result.state_root, withdrawal)
    sandbox.close()
    return {"extraAccounts": DEEP_ACCOUNTS, "stateRoot": _hex(result.state_root)} | _entry(
        withdrawal, proof
    )


def build() -> dict[str, Any]:
    keys = [_key(i) for i in range(40)]
    funded: dict[str, int] = {to_checksum_address(address_of_key(k)): 100 * ETHER for k in keys}
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = Sandbox.create(Path(tmp) / "state", CHAIN_ID, funded)
        plan = [
            (keys[0], "0x000000000000000000000000000000000000dEaD", ETHER),
            (keys[1], to_checksum_address(address_of_key(keys[1])), 3 * ETHER // 2),
            (keys[0], "0x1111111111111111111111111111111111111111", 7),
        ]
        withdrawals = []
        for key, recipient, amount in plan:
            result = sandbox.withdraw(key, recipient, amount)
            if not result.success:
                raise RuntimeError(f"withdraw failed in the EVM: {result.error}")
            withdrawals.extend(withdrawals_from_logs(result.logs))
        final_root = sandbox.store.state_root()
        first_root = sandbox.roots[0]
        entries = [
            _entry(w, build_withdrawal_proof(sandbox.store, final_root, w)) for w in withdrawals
        ]
        early = build_withdrawal_proof(sandbox.store, first_root, withdrawals[0])
        genesis_root = sandbox.genesis_root
        sandbox.close()
        deep = build_deep(Path(tmp))
    return {
        "description": "L2 -> L1 withdrawal proofs, real MerkleStore (generate_withdrawals.py)",
        "chainId": CHAIN_ID,
        "predeploy": L2_WITHDRAWALS_ADDRESS,
        "genesisRoot": _hex(genesis_root),
        "stateRoot": _hex(final_root),
        "firstRoot": _hex(first_root),
        "withdrawals": entries,
        "earlyProofOfWithdrawal0": _proof(early),
        "deep": deep,
    }


def render() -> str:
    return json.dumps(build(), indent=2) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is stale: rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{OUT.name} is up to date")
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
