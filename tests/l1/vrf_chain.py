"""A real anvil L1 with the VRF harness, SequencerRegistry and ExecutionLayerRegistry.

Shared by tests/l1/test_vrf.py and benchmarks/bench_vrf_gas.py. Anvil is started on a
random free port with ``--auto-impersonate`` (operators are arbitrary addresses) and
killed by its own pid on exit; contracts come from forge's ``out/`` artifacts
(``forge build`` is run first when they are missing or older than the sources).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import coincurve
from web3 import Web3
from web3.logs import DISCARD
from web3.types import RPCEndpoint

from agents.l1 import vrf

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
FORGE = ROOT / "node_modules" / ".bin" / "forge"
OUT = ROOT / "out"

#: Sources whose artifacts these helpers load, and the artifacts themselves.
SOURCES = [
    "contracts/ExecutionLayerRegistry.sol",
    "contracts/SequencerRegistry.sol",
    "contracts/lib/ECVRF.sol",
    "contracts/tokens/DevnetToken.sol",
    "tests/forge/ECVRF.t.sol",
]
ARTIFACTS = {
    "ExecutionLayerRegistry": OUT / "ExecutionLayerRegistry.sol" / "ExecutionLayerRegistry.json",
    "SequencerRegistry": OUT / "SequencerRegistry.sol" / "SequencerRegistry.json",
    "DevnetToken": OUT / "DevnetToken.sol" / "DevnetToken.json",
    "ECVRFHarness": OUT / "ECVRF.t.sol" / "ECVRFHarness.json",
}

CHAIN_ID_BASE = 900_000
GRACE_BLOCKS = 50
MAX_SEQUENCERS_CAP = 64
ETHER = 10**18

# ExecutionLayerRegistry enum values (declaration order in the contract).
SETTLEMENT = {"ethereum": 0, "arbitrum": 1, "optimism": 2}
DA = {"ethereum-calldata": 0, "ethereum-blobs": 1, "celestia": 2, "eigenda": 3, "avail": 4}
VMS = {"evm": 0, "wasm": 1}
TYPES = {"optimistic": 0, "zk": 1}
PURPOSES = {"general-purpose": 0, "app-specific": 1}
KINDS = {"flash": 0, "persistent": 1}


def ensure_artifacts() -> None:
    """Run ``forge build`` on our sources when an artifact is missing or stale."""
    newest = max((ROOT / s).stat().st_mtime for s in SOURCES)
    if all(p.exists() and p.stat().st_mtime >= newest for p in ARTIFACTS.values()):
        return
    subprocess.run(
        [str(FORGE), "build", *SOURCES],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def artifact(name: str) -> tuple[list[Any], str]:
    data = json.loads(ARTIFACTS[name].read_text())
    return data["abi"], data["bytecode"]["object"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def anvil_node() -> Iterator[Web3]:
    """Start anvil on a free port, yield a connected Web3, then stop that process."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--silent", "--auto-impersonate", "--hardfork", "cancun"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 30}))
        deadline = time.monotonic() + 20
        while True:
            try:
                w3.eth.chain_id  # noqa: B018 - probe
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("anvil did not start") from None
                time.sleep(0.05)
        yield w3
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def deploy(w3: Web3, name: str, *args: Any, sender: str) -> Any:
    abi, bytecode = artifact(name)
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor(*args).transact({"from": sender})
    )
    assert receipt["status"] == 1, name
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def send(w3: Web3, fn: Any, sender: str, value: int = 0) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, "value": value}))
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction reverted: {fn.fn_name}")
    return receipt


@dataclass
class Stack:
    """The deployed contracts and the accounts driving them."""

    w3: Web3
    owner: str
    sr: Any
    elr: Any
    harness: Any
    alt: Any
    st_sol: Any
    operators: list[str] = field(default_factory=list)
    _op_counter: int = 0

    @classmethod
    def deploy(cls, w3: Web3) -> Stack:
        owner = w3.eth.accounts[0]
        sr = deploy(w3, "SequencerRegistry", owner, 7 * 24 * 3600, sender=owner)
        config = (CHAIN_ID_BASE, 0b1, 0b11, 0b1, 0b1, MAX_SEQUENCERS_CAP, GRACE_BLOCKS)
        elr = deploy(w3, "ExecutionLayerRegistry", owner, sr.address, config, sender=owner)
        harness = deploy(w3, "ECVRFHarness", sender=owner)
        alt = deploy(w3, "DevnetToken", "AltLayer", "ALT", sender=owner)
        st_sol = deploy(w3, "DevnetToken", "Staked SOL", "stSOL", sender=owner)
        for token in ("0x" + "00" * 20, alt.address, st_sol.address):
            send(w3, sr.functions.allowToken(Web3.to_checksum_address(token)), owner)
        return cls(w3, owner, sr, elr, harness, alt, st_sol)

    def add_operator(self, alt_amount: int, sol_amount: int) -> str:
        """Register an impersonated operator with a fresh signing key and stake."""
        self._op_counter += 1
        key = coincurve.PrivateKey(vrf.sha256(b"operator-%d" % self._op_counter))
        op = Web3.to_checksum_address(
            "0x" + vrf.keccak256(key.public_key.format(compressed=False)[1:])[12:].hex()
        )
        self.w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [op, hex(10 * ETHER)])
        signing_key = key.public_key.format(compressed=False)[1:]
        send(self.w3, self.sr.functions.register("http://op.invalid:8545", signing_key), op)
        for token, amount in ((self.alt, alt_amount), (self.st_sol, sol_amount)):
            if amount:
                send(self.w3, token.functions.mint(op, amount), self.owner)
                send(self.w3, token.functions.approve(self.sr.address, amount), op)
                send(self.w3, self.sr.functions.stake(token.address, amount), op)
        self.operators.append(op)
        return op

    def request_params(self, min_seq: int, max_seq: int, min_alt: int, min_sol: int) -> tuple:
        """The seed-003 style request: ethereum / blobs / evm / optimistic / app-specific."""
        return (
            SETTLEMENT["ethereum"],
            DA["ethereum-blobs"],
            VMS["evm"],
            TYPES["optimistic"],
            PURPOSES["app-specific"],
            KINDS["flash"],
            min_seq,
            max_seq,
            [self.alt.address, self.st_sol.address],
            [min_alt, min_sol],
        )

    def request(
        self, min_seq: int, max_seq: int, min_alt: int = 100 * ETHER, min_sol: int = 1000 * ETHER
    ):
        """Submit a request; returns ``(rollup_id, chain_id, request_block)``."""
        receipt = send(
            self.w3,
            self.elr.functions.requestExecutionLayer(
                self.request_params(min_seq, max_seq, min_alt, min_sol)
            ),
            self.owner,
        )
        (event,) = self.elr.events.ExecutionLayerRequested().process_receipt(
            receipt, errors=DISCARD
        )
        return event.args.rollupId, event.args.chainId, receipt.blockNumber

    def register_validator(self, address: str, public: tuple[int, int]) -> None:
        send(self.w3, self.elr.functions.registerValidator(address, list(public)), self.owner)

    def select(self, rollup_id: int, validator: str, secret_key: int):
        """Prove over the on-chain alpha and submit; returns ``(selected, beta, gas_used)``."""
        alpha = bytes(self.elr.functions.selectionAlpha(rollup_id).call())
        public = vrf.public_key(secret_key)
        proof = vrf.prove(secret_key, alpha)
        _, proof4, witness = vrf.solidity_args(public, proof, alpha)
        receipt = send(
            self.w3, self.elr.functions.selectSequencers(rollup_id, proof4, witness), validator
        )
        (event,) = self.elr.events.SequencersSelected().process_receipt(receipt, errors=DISCARD)
        return list(event.args.sequencers), bytes(event.args.vrfOutput), receipt.gasUsed
