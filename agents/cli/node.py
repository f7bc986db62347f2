"""``altrollup producer run``: the block producer node (intake, blocks, Ethereum JSON-RPC).

Prints one JSON line ``{"listening": URL, "chainId": N, "head": N}`` on stdout when it
serves, logs one JSON object per action on stderr, stops on SIGTERM / Ctrl-C. A second
start on the same ``--state-dir`` resumes the chain (after a crash too).
"""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from agents.cli import AltrollupError

if TYPE_CHECKING:
    from agents.producer.consensus import ConsensusConfig
    from agents.verifier.finality import L1Finality


def _parse_aggregators(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not name or not url.startswith("http://"):
            raise AltrollupError(f"--aggregator expects ID=http://HOST:PORT, got {value!r}")
        out[name] = url
    return out


def _parse_address(value: str, option: str = "--coinbase") -> bytes:
    try:
        data = bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        data = b""
    if not value.startswith("0x") or len(data) != 20:
        raise AltrollupError(f"{option} expects a 0x-prefixed 20-byte address, got {value!r}")
    return data


def _consensus_config(
    voter_key: str | None, validators: tuple[str, ...], peers: tuple[str, ...], set_id: int,
    gossip_ms: int, slot_timeout_ms: int,
) -> ConsensusConfig | None:  # fmt: skip
    from agents.producer.consensus import ConsensusConfig

    if voter_key is None:
        if validators or peers:
            raise AltrollupError("--validator/--peer need --voter-key")
        return None
    try:
        key = bytes.fromhex(voter_key.removeprefix("0x"))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise AltrollupError("--voter-key expects a 32-byte hex private key")
    addresses = tuple(_parse_address(v, "--validator") for v in validators)
    if not addresses:
        raise AltrollupError("--voter-key needs the producer set (--validator, in order)")
    for url in peers:
        if not url.startswith("http://"):
            raise AltrollupError(f"--peer expects http://HOST:PORT, got {url!r}")
    return ConsensusConfig(key, addresses, tuple(peers), set_id, gossip_ms, slot_timeout_ms)


def _l1_oracle(l1_rpc: str | None, rollup_address: str | None) -> L1Finality | None:
    """Tiers 2 and 3 read from the Rollup contract every 2 s (None: genesis only)."""
    if l1_rpc is None and rollup_address is None:
        return None
    if l1_rpc is None or rollup_address is None:
        raise AltrollupError("--l1-rpc and --rollup go together")
    _parse_address(rollup_address, "--rollup")
    from agents.l1.client import L1Client, L1Error
    from agents.l1.rollup import RollupContract
    from agents.verifier.finality import L1Finality

    try:
        rollup = RollupContract.at(L1Client.connect(l1_rpc, timeout=10.0), rollup_address)
        oracle = L1Finality(rollup)
        oracle.refresh()
    except (L1Error, OSError, ValueError) as exc:
        raise AltrollupError(f"cannot read the Rollup at {rollup_address}: {exc}") from None
    oracle.start(2.0)
    return oracle


@click.command("run")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory of the intake, chain and state databases (created if missing).",
)
@click.option(
    "--chain-id",
    type=click.IntRange(1, 2**64 - 1),
    required=True,
    help="The rollup's chain id (EIP-155).",
)
@click.option(
    "--genesis",
    "genesis_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Genesis JSON (docs/node.md); default: the test mnemonic's 10 accounts funded.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8547,
    show_default=True,
    help="JSON-RPC port (intake + Ethereum API); 0 picks a free one.",
)
@click.option("--id", "producer_id", default="producer", show_default=True)
@click.option(
    "--block-time",
    "block_time_ms",
    type=click.IntRange(1, 60_000),
    default=250,
    show_default=True,
    help="Milliseconds between block attempts.",
)
@click.option("--max-block-txs", type=click.IntRange(1, 100_000), default=2000, show_default=True)
@click.option("--empty-blocks", is_flag=True, help="Seal blocks without transactions too.")
@click.option(
    "--coinbase",
    default="0x" + "00" * 20,
    show_default=True,
    help="Address receiving the priority fees.",
)
@click.option(
    "--aggregator",
    "aggregators",
    multiple=True,
    metavar="ID=URL",
    help="A known aggregator (holds the ordering cut; gaps are fetched from URL).",
)
@click.option("--silence-timeout-ms", type=click.IntRange(1, None), default=2000, show_default=True)
@click.option(
    "--defer-timeout-ms",
    type=click.IntRange(0, None),
    default=30_000,
    show_default=True,
    help="How long a nonce-gapped transaction may wait.",
)
@click.option("--allow-unprotected", is_flag=True, help="Accept pre-EIP-155 signatures.")
@click.option("--min-gas-price", type=click.IntRange(0, None), default=0, show_default=True)
@click.option("--voter-key", help="Several producers: this producer's secp256k1 key (0x hex).")
@click.option(
    "--validator",
    "validators",
    multiple=True,
    metavar="ADDR",
    help="Several producers: the producer set's addresses, in order (repeat).",
)
@click.option(
    "--peer",
    "peers",
    multiple=True,
    metavar="URL",
    help="Several producers: another producer's RPC URL (repeat).",
)
@click.option("--set-id", type=click.IntRange(0, 2**64 - 1), default=0, show_default=True)
@click.option(
    "--gossip-ms",
    type=click.IntRange(1, 60_000),
    default=40,
    show_default=True,
    help="GRANDPA's bound on message delay T.",
)
@click.option(
    "--slot-timeout-ms",
    type=click.IntRange(1, 600_000),
    default=1000,
    show_default=True,
    help="After this, the next producer in line proposes.",
)
@click.option("--l1-rpc", help="L1 JSON-RPC URL: tiers 2/3 (safe/finalized) from the Rollup.")
@click.option(
    "--rollup",
    "rollup_address",
    metavar="ADDR",
    help="The Rollup contract on L1 (with --l1-rpc).",
)
@click.option(
    "--sync-state",
    is_flag=True,
    help="fsync the state store before writing each block (power-loss safety;"
    " a kill -9 is safe without it).",
)
@click.option(
    "--equivocate",
    is_flag=True,
    help="Fault injection (devnets and tests, several producers): also sign a conflicting "
    "GRANDPA vote every time; peers detect and log the equivocation.",
)
@click.option("--quiet", is_flag=True, help="No JSON log lines on stderr.")
def run(
    state_dir: Path, chain_id: int, genesis_file: Path | None, host: str, port: int,
    producer_id: str, block_time_ms: int, max_block_txs: int, empty_blocks: bool,
    coinbase: str, aggregators: tuple[str, ...], silence_timeout_ms: int,
    defer_timeout_ms: int, allow_unprotected: bool, min_gas_price: int,
    voter_key: str | None, validators: tuple[str, ...], peers: tuple[str, ...], set_id: int,
    gossip_ms: int, slot_timeout_ms: int, l1_rpc: str | None, rollup_address: str | None,
    sync_state: bool, equivocate: bool, quiet: bool,
) -> None:  # fmt: skip
    """Run a block producer: intake, execution, blocks and the Ethereum JSON-RPC."""
    from agents.producer.chain import ChainMismatch
    from agents.producer.genesis import GenesisError, dev_genesis, load_genesis, parse_genesis
    from agents.producer.node import NodeConfig, ProducerNode, RecoveryError

    consensus = _consensus_config(voter_key, validators, peers, set_id, gossip_ms,
                                  slot_timeout_ms)  # fmt: skip
    if equivocate:
        if consensus is None:
            raise AltrollupError("--equivocate needs several producers (--voter-key)")
        consensus = replace(consensus, equivocate=True)
    coinbase_address = _parse_address(coinbase)
    if consensus is not None and coinbase_address == bytes(20):
        from coincurve import PrivateKey

        from agents.producer.finality.messages import address_of

        coinbase_address = address_of(PrivateKey(consensus.voter_key))
    try:
        genesis = load_genesis(genesis_file) if genesis_file else parse_genesis(dev_genesis())
        config = NodeConfig(
            state_dir=state_dir, chain_id=chain_id, genesis=genesis, producer_id=producer_id,
            coinbase=coinbase_address, host=host, port=port,
            block_time_ms=block_time_ms, max_block_txs=max_block_txs,
            empty_blocks=empty_blocks, defer_timeout_ms=defer_timeout_ms,
            aggregators=_parse_aggregators(aggregators),
            silence_timeout_ms=silence_timeout_ms, allow_unprotected=allow_unprotected,
            min_gas_price=min_gas_price, log_enabled=not quiet, consensus=consensus,
            sync_state=sync_state,
        )  # fmt: skip
        genesis.chain_config(chain_id)
        oracle = _l1_oracle(l1_rpc, rollup_address)
        node = ProducerNode(config, oracle=oracle)
    except (GenesisError, ChainMismatch, RecoveryError, ValueError, RuntimeError) as exc:
        raise AltrollupError(str(exc)) from None
    except OSError as exc:
        raise AltrollupError(f"cannot open state directory {state_dir}: {exc}") from None
    try:
        url = node.start()
    except OSError as exc:
        node.stop()
        raise AltrollupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    click.echo(json.dumps({"listening": url, "chainId": chain_id, "head": node.head.number}))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    node.stop()
