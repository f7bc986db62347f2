"""Helpers for the verifier tests: an L2 chain built with the producer's ``execute_block``
served over a real JSON-RPC server (``eth_blockNumber``, ``altrollup_getBlockForVerifier``),
a Rollup whose genesis is the dev genesis' state root, and verifier construction.

The L1 side reuses ``tests/challenger/challenger_env.py`` (registries, staked verifiers)."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "challenger"))

from challenger_env import ETHER, ChainEnv, LogLines, advance  # noqa: E402

from agents.evm.store import MerkleStore  # noqa: E402
from agents.l1.rollup import DaKind, GameParams, RollupDeployment, RollupParams, deploy_rollup  # noqa: E402
from agents.producer.blocks import (  # noqa: E402
    Block,
    ChainConfig,
    execute_block,
    next_block_context,
    tx_roots_commitment,
)
from agents.producer.genesis import Genesis, apply_genesis, dev_genesis, parse_genesis  # noqa: E402
from agents.rpc.jsonlog import JsonLog  # noqa: E402
from agents.rpc.server import INVALID_PARAMS, JsonRpcDispatcher, JsonRpcServer, RpcError  # noqa: E402
from agents.verifier.agent import PackPolicy  # noqa: E402
from agents.verifier.service import ServiceConfig, Verifier, build_verifier  # noqa: E402
from agents.verifier.store import open_store  # noqa: E402

__all__ = ["ETHER", "ChainEnv", "LogLines", "advance"]

#: anvil's account 0, funded by the dev genesis on L2 too.
USER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
WINDOW = 120


def l2_chain_id(chain: ChainEnv) -> int:
    return chain.settlement.execution_layer_registry.info(chain.rollup_id).chain_id


def genesis_for(chain_id: int) -> Genesis:
    return parse_genesis(dev_genesis(chain_id))


def transfer(chain_id: int, nonce: int, value: int = 1, to: str = "0x" + "22" * 20) -> bytes:
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "to": to,
        "value": value,
        "gas": 21_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
    }
    return bytes(Account.sign_transaction(tx, USER_KEY).raw_transaction)


@dataclass
class L2Chain:
    """A producer stand-in: blocks made with ``execute_block``, served over JSON-RPC."""

    chain_id: int
    store: MerkleStore
    config: ChainConfig
    blocks: list[Block]
    nonce: int = 0
    server: JsonRpcServer | None = None
    #: block number -> replacement served instead of the real block (tampering tests)
    served: dict[int, Block] = field(default_factory=dict)

    @classmethod
    def create(cls, directory: Path, chain_id: int) -> L2Chain:
        genesis = genesis_for(chain_id)
        store = MerkleStore(directory / "producer-state")
        block0 = apply_genesis(store, genesis)
        return cls(chain_id, store, genesis.chain_config(chain_id), [block0])

    def add_block(
        self, tx_count: int, timestamp_ms: int | None = None, raw: list[bytes] | None = None
    ) -> Block:
        """Seal a block of ``tx_count`` fresh transfers (or of the ``raw`` transactions)."""
        parent = self.blocks[-1]
        if raw is None:
            txs = [transfer(self.chain_id, self.nonce + i) for i in range(tx_count)]
            self.nonce += tx_count
        else:
            txs = raw
        now_ms = int(time.time() * 1000)
        when = timestamp_ms if timestamp_ms is not None else max(parent.timestamp_ms + 1, now_ms)
        by_number = {b.number: b.hash for b in self.blocks}
        context = next_block_context(
            parent, self.config, when, b"\xaa" * 20, lambda n: by_number.get(n, bytes(32))
        )
        executed = execute_block(self.store, parent, txs, context)
        assert not executed.skipped, executed.skipped
        self.blocks.append(executed.block)
        return executed.block

    def tamper(self, number: int) -> Block:
        """Serve block ``number`` with a wrong first per-tx root (a faulty producer whose
        block is consistent with itself: commitment and hash follow the wrong roots)."""
        block = self.blocks[number]
        roots = (b"\x66" * 32, *block.tx_state_roots[1:])
        bad = dataclasses.replace(
            block, tx_state_roots=roots, tx_roots_commitment=tx_roots_commitment(roots)
        )
        self.served[number] = bad
        return bad

    def serve(self) -> str:
        dispatcher = JsonRpcDispatcher()
        dispatcher.register("eth_chainId", lambda params: hex(self.chain_id))
        dispatcher.register("eth_blockNumber", lambda params: hex(len(self.blocks) - 1))
        dispatcher.register("altrollup_getBlockForVerifier", self._get_block)
        self.server = JsonRpcServer(dispatcher)
        self.server.start()
        return self.server.url

    def _get_block(self, params: Any) -> Any:
        if not isinstance(params, list) or len(params) != 1:
            raise RpcError(INVALID_PARAMS, "expected [number]")
        value = params[0]
        number = int(value, 16) if isinstance(value, str) else int(value)
        if number >= len(self.blocks):
            return None
        return self.served.get(number, self.blocks[number]).to_json()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.store.close()


def deploy(
    chain: ChainEnv,
    genesis_root: bytes,
    *,
    window: int = WINDOW,
    quorum: int = 1,
    step_verifier: str | None = None,
) -> RollupDeployment:
    """A fresh Rollup + DisputeGame whose genesis is ``genesis_root``; the game's step
    verifier and trace binding are the AlphabetVM unless ``step_verifier`` is given."""
    vm = step_verifier or chain.alphabet.address
    return deploy_rollup(
        chain.client,
        chain.owner,
        execution_layer_registry=chain.settlement.execution_layer_registry.address,
        rollup_id=chain.rollup_id,
        sequencer_registry=chain.settlement.sequencer_registry.address,
        params=RollupParams(
            genesis_state_root=genesis_root,
            challenge_window=window,
            affirmation_quorum=quorum,
            min_verifier_stake=10 * ETHER,
        ),
        game=GameParams(
            step_verifier=vm,
            trace_binding=vm,
            step_depth=4,
            challenger_clock=600,
            defender_clock=600,
            challenger_bond=ETHER // 10,
            slash_amount=ETHER,
        ),
        registry_owner=chain.owner,
    )


def make_verifier(
    chain: ChainEnv,
    rollup_address: str,
    account: LocalAccount,
    state_dir: Path,
    source: Any,
    *,
    da: DaKind = DaKind.CALLDATA,
    post: bool = True,
    max_blocks: int = 3,
    max_wait: float = 3600.0,
    clock: Callable[[], float] | None = None,
) -> tuple[Verifier, LogLines]:
    lines = LogLines()
    chain_id = l2_chain_id(chain)
    chain.client.nonces.resync(account.address)  # other tests' processes used the key
    verifier = build_verifier(
        chain.client,
        rollup_address,
        account,
        open_store(state_dir),
        MerkleStore(state_dir / "state"),
        source,
        genesis_for(chain_id),
        config=ServiceConfig(
            da=da,
            policy=PackPolicy(max_blocks=max_blocks, max_wait=max_wait),
            post=post,
            poll_interval=0,
        ),
        clock=clock,
        log=JsonLog("verifier", stream=lines),  # type: ignore[arg-type]
    )
    return verifier, lines
