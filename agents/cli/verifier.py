"""``altrollup verifier run`` and ``altrollup verify BLOCK``.

``verifier run`` starts the verifier process (:mod:`agents.verifier.service`): it follows
the producer's JSON-RPC, re-executes every block, posts packs to the Rollup (calldata or
EIP-4844 blobs), affirms or rejects other verifiers' packs and finalizes packs whose
window has passed. State lives in ``--state-dir`` (SQLite + LMDB); running it again on
the same directory resumes without posting a range twice. One JSON line per action on
stderr; ``--metrics-port`` serves Prometheus metrics at ``/metrics``.

``verify BLOCK`` re-executes blocks 0..BLOCK from genesis and prints the per-transaction
roots comparison and, with ``--l1-rpc`` and ``--rollup``, the L1 pack and tier holding it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from agents.cli import AltrollupError
from agents.cli.process import serve_metrics, stop_on_signals

DEFAULT_L1 = "http://127.0.0.1:8545"


def _genesis(path: Path | None, chain_id: int) -> Any:
    from agents.producer.genesis import GenesisError, dev_genesis, load_genesis, parse_genesis

    try:
        genesis = load_genesis(path) if path is not None else parse_genesis(dev_genesis(chain_id))
        genesis.chain_config(chain_id)
    except GenesisError as error:
        raise AltrollupError(str(error)) from None
    return genesis


def _l1(url: str) -> Any:
    from agents.l1.client import L1Client, L1Error

    try:
        return L1Client.connect(url)
    except L1Error as error:
        raise AltrollupError(str(error)) from None


def _rollup(client: Any, address: str, url: str) -> Any:
    from web3 import Web3

    from agents.l1.rollup import RollupContract

    if not Web3.is_address(address):
        raise AltrollupError(f"--rollup {address!r} is not an address")
    if not client.w3.eth.get_code(Web3.to_checksum_address(address)):
        raise AltrollupError(f"no contract at {address} on {url}")
    rollup = RollupContract.at(client, address)
    try:
        rollup.l2_chain_id()
    except Exception as error:  # noqa: BLE001 - one line for the user
        raise AltrollupError(f"{address} is not a Rollup: {error}") from None
    return rollup


@click.group()
def verifier() -> None:
    """The verifier: re-executes blocks, posts packs, votes, finalizes."""


@verifier.command("run")
@click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=DEFAULT_L1, show_default=True)
@click.option("--rollup", "rollup_address", envvar="ALTROLLUP_ROLLUP", required=True)
@click.option("--key", envvar="ALTROLLUP_KEY", required=True, help="Hex private key.")
@click.option("--l2-rpc", required=True, help="The producer's JSON-RPC URL.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--genesis",
    "genesis_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Genesis file (default: the dev genesis for the rollup's chain id).",
)
@click.option(
    "--da", type=click.Choice(["calldata", "blobs"]), default="calldata", show_default=True
)
@click.option("--pack-blocks", type=click.IntRange(1, 10_000), default=16, show_default=True)
@click.option(
    "--pack-interval",
    type=click.FloatRange(0, 86_400),
    default=10.0,
    show_default=True,
    help="Post a shorter pack once its oldest block is this many seconds old.",
)
@click.option("--no-post", is_flag=True, help="Only vote and finalize.")
@click.option("--no-vote", is_flag=True, help="Do not affirm or reject.")
@click.option("--no-finalize", is_flag=True, help="Do not call Rollup.finalize.")
@click.option("--bridge", default=None, help="L1Bridge address: enforce deposits/forced txs.")
@click.option("--poll-interval", type=click.FloatRange(0, 3600), default=1.0, show_default=True)
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None)
@click.option(
    "--lie-at-tx",
    type=click.IntRange(1),
    default=None,
    help="Fault injection (devnets and tests): post one pack with wrong roots from L2 "
    "transaction N on (docs/verifier.md).",
)
@click.option("--max-ticks", type=click.IntRange(1), default=None, hidden=True)
def run_command(
    l1_rpc: str,
    rollup_address: str,
    key: str,
    l2_rpc: str,
    state_dir: Path,
    genesis_path: Path | None,
    da: str,
    pack_blocks: int,
    pack_interval: float,
    no_post: bool,
    no_vote: bool,
    no_finalize: bool,
    bridge: str | None,
    poll_interval: float,
    metrics_port: int | None,
    lie_at_tx: int | None,
    max_ticks: int | None,
) -> None:
    """Follow the producer, re-execute, post packs, vote and finalize."""
    from eth_account import Account

    from agents.evm.store import MerkleStore
    from agents.l1.rollup import DaKind
    from agents.rpc.jsonlog import JsonLog
    from agents.rpc.metrics import Metrics
    from agents.verifier.agent import PackPolicy
    from agents.verifier.follower import FollowError, RpcBlockSource
    from agents.verifier.inbox_check import inbox_extra_check
    from agents.verifier.l1_inbox import L1Inbox
    from agents.verifier.service import (
        CrashPoints,
        ServiceConfig,
        VerifierError,
        build_verifier,
        run,
    )
    from agents.verifier.store import StoreError, open_store

    client = _l1(l1_rpc)
    try:
        account = Account.from_key(key)
    except (ValueError, TypeError) as error:
        raise AltrollupError(f"--key is not a valid private key: {error}") from None
    rollup = _rollup(client, rollup_address, l1_rpc)
    genesis = _genesis(genesis_path, rollup.l2_chain_id())
    try:
        source = RpcBlockSource.connect(l2_rpc)
        source.head_number()
    except FollowError as error:
        raise AltrollupError(str(error)) from None
    if not rollup.is_eligible_verifier(account.address):
        raise AltrollupError(
            f"{account.address} is not an eligible verifier of this Rollup (stake too low?)"
        )
    log = JsonLog("verifier")
    metrics = Metrics(prefix="altrollup_verifier_")
    try:
        store = open_store(state_dir)
        state = MerkleStore(state_dir / "state")
        crash = CrashPoints.from_env()
    except (OSError, VerifierError) as error:
        raise AltrollupError(str(error)) from None
    extra = None
    try:
        service = build_verifier(
            client,
            rollup_address,
            account,
            store,
            state,
            source,
            genesis,
            config=ServiceConfig(
                da=DaKind.BLOBS if da == "blobs" else DaKind.CALLDATA,
                policy=PackPolicy(max_blocks=pack_blocks, max_wait=pack_interval),
                post=not no_post,
                vote=not no_vote,
                finalize=not no_finalize,
                poll_interval=poll_interval,
                lie_at_tx=lie_at_tx,
            ),
            log=log,
            metrics=metrics,
            crash=crash,
        )
        if bridge is not None:
            if not client.w3.is_address(bridge) or not client.w3.eth.get_code(
                client.w3.to_checksum_address(bridge)
            ):
                raise AltrollupError(f"no L1Bridge at {bridge}")
            extra = inbox_extra_check(L1Inbox.at(client, bridge), service.follower)
            service.follower.extra_check = extra
    except (StoreError, VerifierError, FollowError) as error:
        store.close()
        raise AltrollupError(str(error)) from None
    server = None
    if metrics_port is not None:
        server = serve_metrics(metrics, metrics_port, log, on_error=store.close)
    stop = stop_on_signals()
    try:
        run(service, stop, max_ticks=max_ticks)
    finally:
        if server is not None:
            server.stop()
        state.close()
        store.close()


# -- verify ----------------------------------------------------------------------------


def _short(data: bytes | None) -> str:
    return "-" if data is None else "0x" + data.hex()


@click.command("verify")
@click.argument("block", type=int)
@click.option("--rpc", default=None, help="The rollup's JSON-RPC URL.")
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Read the blocks from a verifier's state directory instead of --rpc.",
)
@click.option("--genesis", "genesis_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--chain-id", type=click.IntRange(1), default=None, help="Default: eth_chainId.")
@click.option("--l1-rpc", envvar="ALTROLLUP_L1_RPC", default=None)
@click.option("--rollup", "rollup_address", envvar="ALTROLLUP_ROLLUP", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def verify(
    block: int,
    rpc: str | None,
    state_dir: Path | None,
    genesis_path: Path | None,
    chain_id: int | None,
    l1_rpc: str | None,
    rollup_address: str | None,
    as_json: bool,
) -> None:
    """Re-execute BLOCK from genesis yourself and compare every per-transaction root."""
    from agents.rpc.client import RpcCallError, RpcTransportError
    from agents.verifier.follower import BlockSource, FollowError, RpcBlockSource, StoreBlockSource
    from agents.verifier.selfcheck import VerifyError, l1_status, pack_problem, verify_block
    from agents.verifier.store import open_store

    if block < 0:
        raise AltrollupError(f"BLOCK must be >= 0, got {block}")
    if (rpc is None) == (state_dir is None):
        raise AltrollupError("give exactly one of --rpc URL or --state-dir DIR")
    source: BlockSource
    store = None
    if rpc is not None:
        try:
            rpc_source = RpcBlockSource.connect(rpc)
            if chain_id is None:
                answer = rpc_source.client.call("eth_chainId")
                chain_id = int(answer, 16) if isinstance(answer, str) else int(answer)
        except (FollowError, RpcTransportError, RpcCallError, TypeError, ValueError) as error:
            raise AltrollupError(f"cannot read the chain id from {rpc}: {error}") from None
        source = rpc_source
    else:
        assert state_dir is not None
        if not (state_dir / "verifier.sqlite3").exists():
            raise AltrollupError(f"no verifier state in {state_dir}")
        store = open_store(state_dir)
        source = StoreBlockSource(store)
        if chain_id is None:
            recorded = store.meta("l2_chain_id")
            if recorded is None:
                raise AltrollupError(f"{state_dir} records no chain id; pass --chain-id")
            chain_id = int(recorded)
    genesis = _genesis(genesis_path, chain_id)
    try:
        status = None
        if rollup_address is not None:
            client = _l1(l1_rpc or DEFAULT_L1)
            status = l1_status(_rollup(client, rollup_address, l1_rpc or DEFAULT_L1), block)
        check = verify_block(
            source,
            genesis,
            genesis.chain_config(chain_id),
            block,
            None if status is None else (status.first_block, status.last_block),
        )
    except (VerifyError, FollowError) as error:
        raise AltrollupError(str(error)) from None
    finally:
        if store is not None:
            store.close()
    problem = None
    if status is not None and status.pack_id == 0:  # the genesis pack: block 0 only
        if status.state_root != check.our_state_root:
            problem = "the Rollup's genesis state root differs from the genesis file's"
    elif status is not None:
        problem = pack_problem(status, check.pack_roots)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "block": block,
                    "hash": _short(check.block.hash),
                    "ok": check.ok,
                    "stateRoot": _short(check.block.state_root),
                    "reexecutedStateRoot": _short(check.our_state_root),
                    "transactions": [
                        {
                            "index": t.index,
                            "hash": _short(t.tx_hash),
                            "claimedRoot": _short(t.claimed_root),
                            "reexecutedRoot": _short(t.our_root),
                            "ok": t.ok,
                        }
                        for t in check.txs
                    ],
                    "mismatches": list(check.mismatches),
                    "l1": None
                    if status is None
                    else {
                        "pack": status.pack_id,
                        "firstBlock": status.first_block,
                        "lastBlock": status.last_block,
                        "tier": int(status.tier),
                        "tierName": status.tier.name,
                        "matchesReexecution": problem is None,
                        "problem": problem,
                    },
                }
            )
        )
    else:
        b = check.block
        click.echo(
            f"block {b.number}  hash {_short(b.hash)}  txs {len(b.transactions)}  "
            f"timestamp {b.timestamp}"
        )
        click.echo(f"{'#':>4}  {'transaction':<66}  {'claimed root':<66}  {'re-executed root':<66}")
        for t in check.txs:
            mark = "ok" if t.ok else "MISMATCH"
            click.echo(
                f"{t.index:>4}  {_short(t.tx_hash)}  {_short(t.claimed_root)}  "
                f"{_short(t.our_root)}  {mark}"
            )
        root_mark = "ok" if b.state_root == check.our_state_root else "MISMATCH"
        click.echo(
            f"state root  {_short(b.state_root)}  re-executed "
            f"{_short(check.our_state_root)}  {root_mark}"
        )
        click.echo(
            f"re-executed {check.ancestors_checked} ancestor block(s) and block {b.number} "
            f"from genesis in {check.seconds:.2f}s"
        )
        if rollup_address is not None:
            if status is None:
                click.echo("L1: not posted yet (no valid pack covers this block)")
            else:
                click.echo(
                    f"L1: pack {status.pack_id} (blocks {status.first_block}..{status.last_block}) "
                    f"tier {int(status.tier)} {status.tier.name.lower().replace('_', '-')}"
                )
                if problem is None:
                    click.echo(
                        f"L1: the pack's {status.tx_count} per-tx roots and state root match "
                        f"the re-execution of blocks {status.first_block}..{status.last_block}"
                    )
                else:
                    click.echo(f"L1: pack {status.pack_id} is WRONG: {problem}")
    if not check.ok:
        raise AltrollupError(f"block {block} does not match re-execution: {check.mismatches[0]}")
    if status is not None and problem is not None:
        raise AltrollupError(f"L1 pack {status.pack_id} holding block {block}: {problem}")
