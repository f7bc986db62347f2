"""Fast-mode throughput benchmark: signed ERC-20 transfers through the whole pipeline.

``python -m agents.evm.bench [--transfers N] [--senders K]`` deploys the devnet ERC-20
(``out/DevnetToken.sol/DevnetToken.json``, built by ``forge build``) on a
:class:`~agents.evm.memory_backend.MemoryBackend`, mints to ``K`` senders, pre-signs
``N`` transfers, then times, per transaction: decoding the raw bytes, signature recovery
(coincurve), validation, execution and the post-transaction MPT state root.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from sha3 import keccak_256

from agents.evm.backend import Account, StateDiff
from agents.evm.memory_backend import MemoryBackend
from agents.evm.processing import apply_transaction
from agents.evm.transactions import (
    Transaction,
    address_of_key,
    decode_transaction,
    encode_transaction,
    recover_sender,
    sign_transaction,
)
from agents.evm.vm import BlockEnv

ARTIFACT = Path(__file__).resolve().parents[2] / "out" / "DevnetToken.sol" / "DevnetToken.json"


def _selector(signature: str) -> bytes:
    return keccak_256(signature.encode()).digest()[:4]


def run(transfers: int, senders: int, backend: Any = None) -> dict[str, float]:
    """Time ``transfers`` signed transfers among ``senders`` accounts on ``backend``.

    ``backend`` (any empty :class:`~agents.evm.backend.StateBackend`) defaults to a fresh
    :class:`MemoryBackend`; accounts are funded through a genesis :class:`StateDiff`.
    """
    artifact = json.loads(ARTIFACT.read_text())
    init_code = bytes.fromhex(artifact["bytecode"]["object"].removeprefix("0x"))
    if backend is None:
        backend = MemoryBackend()
    block = BlockEnv(coinbase=b"\xc0" * 20, number=1, timestamp=1, gas_limit=30_000_000,
                     base_fee=7, chain_id=1)  # fmt: skip
    deployer_key = (1).to_bytes(32, "big")
    deployer = address_of_key(deployer_key)
    keys = [(1000 + i).to_bytes(32, "big") for i in range(senders)]
    addrs = [address_of_key(k) for k in keys]
    genesis = StateDiff()
    for a in [deployer, *addrs]:
        genesis.accounts[a] = Account(0, 10**24)
    backend.apply(genesis)

    def send(key: bytes, nonce: int, to: bytes | None, data: bytes) -> Transaction:
        tx = Transaction(tx_type=2, chain_id=1, nonce=nonce, gas_limit=3_000_000, to=to,
                         data=data, max_fee_per_gas=100, max_priority_fee_per_gas=1)  # fmt: skip
        return sign_transaction(tx, key)

    deploy = init_code + abi_encode(["string", "string"], ["Bench", "BEN"])
    result = apply_transaction(backend, block, send(deployer_key, 0, None, deploy))
    token = result.contract_address
    assert result.success and token is not None
    mint = _selector("mint(address,uint256)")
    for i, a in enumerate(addrs):
        call = mint + abi_encode(["address", "uint256"], [a, 10**30])
        r = apply_transaction(backend, block, send(deployer_key, i + 1, token, call))
        assert r.success
    transfer = _selector("transfer(address,uint256)")
    raws = []
    nonces = [0] * senders
    for i in range(transfers):
        s = i % senders
        to = addrs[(s + 1) % senders]
        data = transfer + abi_encode(["address", "uint256"], [to, 1 + i])
        raws.append(encode_transaction(send(keys[s], nonces[s], token, data)))
        nonces[s] += 1
    start = time.perf_counter()
    gas = 0
    for raw in raws:
        tx = decode_transaction(raw)
        sender = recover_sender(tx, block.chain_id)
        r = apply_transaction(backend, block, tx, sender)
        assert r.success, r.error
        gas += r.gas_used
    elapsed = time.perf_counter() - start
    return {"transfers": transfers, "seconds": elapsed, "tps": transfers / elapsed,
            "gas_per_tx": gas / transfers}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument(
        "--backend",
        choices=["memory", "store"],
        default="memory",
        help="memory: MPT MemoryBackend; store: agents.evm.store.MerkleStore (LMDB, temp dir)",
    )
    args = parser.parse_args()
    if args.backend == "store":
        import tempfile

        from agents.evm.store import MerkleStore

        with tempfile.TemporaryDirectory() as tmp, MerkleStore(tmp) as store:
            stats = run(args.transfers, args.senders, store)
    else:
        stats = run(args.transfers, args.senders)
    print(
        f"[{args.backend}] {stats['transfers']} ERC-20 transfers in {stats['seconds']:.2f}s: "
        f"{stats['tps']:.0f} tx/s ({stats['gas_per_tx']:.0f} gas/tx)"
    )


if __name__ == "__main__":
    main()
