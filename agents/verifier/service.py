"""The verifier process: follow the producer, re-execute, post packs, vote, finalize.

Every :func:`tick` does, in order (each step idempotent, so a crash anywhere is safe):

1. **recover** (first tick): settle a pack left ``posting`` by a crash — found on L1 by
   its ``PackPosted`` log (poster, parent, first block, commitment) -> ``posted``; its
   nonce used by something else, or never broadcast -> back to ``built``; still in the
   mempool -> wait;
2. **follow**: fetch new blocks from the producer and re-execute them
   (:class:`~agents.verifier.follower.Follower`); a mismatch marks the block ``faulty``:
   nothing from it on is posted or affirmed;
3. **read L1**: the valid chain from the last finalized pack to the head
   (:class:`~agents.verifier.agent.L1State`) and our window of the local chain;
4. **reconcile** our packs with their L1 tiers (``posted -> tier2 -> tier3``,
   ``invalidated``) and drop built packs another verifier beat us to (``superseded``);
5. **vote**: affirm packs of other verifiers that match our re-execution and whose DA
   payload carries our blocks; reject the others (the challenger disputes them);
6. **post**: the next pack of N blocks (or fewer after T seconds), on the L1 head only,
   built from verified blocks only; before sending, the L1 head is read again and the
   posting nonce is recorded (``posting``), so a restart never posts a range twice;
   after an invalidation the next pack starts from the reverted head (``rebuilt``);
7. **finalize** packs whose window is over (``Rollup.finalize``, anyone may);
8. **refresh** the tier heights (:class:`~agents.verifier.finality.L1Finality`) and the
   metrics.

Dependencies are injected (:func:`build_verifier`): the L1 client and account, the
block source (the producer's JSON-RPC), the store, the MerkleStore, a wall clock, the
JSON log and the metrics. ``ALTROLLUP_VERIFIER_CRASH_AT=before-send:N|after-send:N``
makes the process SIGKILL itself around its N-th pack post (the crash tests).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from agents.evm.store import MerkleStore
from agents.l1.blobs import LENGTH_PREFIX, MAX_BLOBS_PER_TX, USABLE_BYTES_PER_BLOB, BlobSidecar
from agents.l1.client import L1Client, TransactionReverted
from agents.l1.rollup import (
    DaKind,
    Pack,
    RollupContract,
    Tier,
    Vote,
    blob_commitment,
    build_pack,
)
from agents.producer.blocks import Block, tx_roots_commitment
from agents.producer.genesis import Genesis
from agents.rpc.jsonlog import JsonLog
from agents.rpc.metrics import Metrics
from agents.verifier import agent as decide
from agents.verifier import faults
from agents.verifier.agent import (
    L1Pack,
    L1State,
    LocalBlock,
    LocalChain,
    NoPack,
    PackPolicy,
    Verdict,
)
from agents.verifier.da import PackDataError, decode_pack_data, encode_pack_data
from agents.verifier.finality import L1Finality
from agents.verifier.follower import BlockSource, ExtraCheck, Follower
from agents.verifier.store import PackRow, PackStatus, Store

Clock = Callable[[], float]

#: Largest calldata payload a pack may carry (bytes); larger ranges are split.
DEFAULT_MAX_CALLDATA = 120_000
MAX_BLOB_DATA = MAX_BLOBS_PER_TX * USABLE_BYTES_PER_BLOB - LENGTH_PREFIX


class VerifierError(RuntimeError):
    """A configuration the verifier cannot run with (wrong genesis, wrong chain, ...)."""


@dataclass(frozen=True)
class ServiceConfig:
    """What the verifier does and how often."""

    da: DaKind = DaKind.CALLDATA
    policy: PackPolicy = field(default_factory=PackPolicy)
    post: bool = True
    vote: bool = True
    finalize: bool = True
    poll_interval: float = 1.0
    follow_batch: int = 64
    max_calldata_bytes: int = DEFAULT_MAX_CALLDATA
    lie_at_tx: int | None = None  # fault injection (agents/verifier/faults.py)


@dataclass
class CrashPoints:
    """Self-SIGKILL points for crash tests (``ALTROLLUP_VERIFIER_CRASH_AT``)."""

    before_send: int | None = None
    after_send: int | None = None
    posts: int = 0

    @classmethod
    def from_env(cls) -> CrashPoints:
        spec = os.environ.get("ALTROLLUP_VERIFIER_CRASH_AT", "")
        points = cls()
        for part in filter(None, spec.split(",")):
            where, _, count = part.partition(":")
            if where == "before-send":
                points.before_send = int(count)
            elif where == "after-send":
                points.after_send = int(count)
            else:
                raise VerifierError(f"ALTROLLUP_VERIFIER_CRASH_AT: unknown point {where!r}")
        return points

    def hit(self, where: str) -> None:
        limit = self.before_send if where == "before-send" else self.after_send
        if limit is not None and self.posts == limit:
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Verifier:
    """A running verifier's dependencies and caches (the store is the memory)."""

    client: L1Client
    rollup: RollupContract
    account: LocalAccount
    store: Store
    follower: Follower
    source: BlockSource
    config: ServiceConfig
    clock: Clock
    log: JsonLog
    metrics: Metrics
    finality: L1Finality
    crash: CrashPoints = field(default_factory=CrashPoints)
    recovered: bool = False
    _packs: dict[int, Pack] = field(default_factory=dict)
    _da_verdicts: dict[int, str | None] = field(default_factory=dict)
    _last_wait: str = ""

    @property
    def address(self) -> str:
        return str(self.account.address)


def build_verifier(
    client: L1Client,
    rollup_address: str,
    account: LocalAccount,
    store: Store,
    state: MerkleStore,
    source: BlockSource,
    genesis: Genesis,
    *,
    config: ServiceConfig | None = None,
    clock: Clock | None = None,
    log: JsonLog | None = None,
    metrics: Metrics | None = None,
    extra_check: ExtraCheck | None = None,
    crash: CrashPoints | None = None,
) -> Verifier:
    """Bind a verifier to a deployed Rollup; checks the chain id and the genesis root."""
    rollup = RollupContract.at(client, rollup_address)
    l2_chain_id = rollup.l2_chain_id()
    chain = genesis.chain_config(l2_chain_id)
    store.bind_identity(
        {
            "chain_id": str(client.chain_id),
            "rollup": rollup.address,
            "account": account.address,
            "l2_chain_id": str(l2_chain_id),
        }
    )
    log = log or JsonLog("verifier")
    metrics = metrics or Metrics(prefix="altrollup_verifier_")
    _describe_metrics(metrics)
    follower = Follower(store, state, chain, genesis, log, metrics, extra_check)
    follower.resume()
    ours = follower.genesis_block().state_root
    theirs = rollup.state_root_at(0)
    if ours != theirs:
        raise VerifierError(
            f"the Rollup's genesis state root 0x{theirs.hex()} differs from the genesis "
            f"file's 0x{ours.hex()}"
        )
    return Verifier(
        client=client,
        rollup=rollup,
        account=account,
        store=store,
        follower=follower,
        source=source,
        config=config or ServiceConfig(),
        clock=clock or time.time,
        log=log,
        metrics=metrics,
        finality=L1Finality(rollup),
        crash=crash or CrashPoints(),
    )


# -- the loop --------------------------------------------------------------------------


def run(verifier: Verifier, stop: threading.Event, max_ticks: int | None = None) -> int:
    """Tick until ``stop`` is set (or ``max_ticks``); returns the number of ticks."""
    verifier.log(
        "verifier-started",
        account=verifier.address,
        rollup=verifier.rollup.address,
        da=verifier.config.da.name.lower(),
        max_blocks=verifier.config.policy.max_blocks,
        max_wait=verifier.config.policy.max_wait,
    )
    ticks = 0
    while not stop.is_set() and (max_ticks is None or ticks < max_ticks):
        try:
            tick(verifier)
        except Exception as error:  # noqa: BLE001 - the loop must survive a bad tick
            verifier.client.nonces.resync(verifier.address)
            verifier.log("tick-failed", error=f"{type(error).__name__}: {error}")
            verifier.metrics.inc("tick_errors_total")
        ticks += 1
        stop.wait(verifier.config.poll_interval)
    verifier.log("verifier-stopped", ticks=ticks)
    return ticks


def tick(verifier: Verifier) -> None:
    """One pass (see the module docstring)."""
    if not verifier.recovered:
        recover(verifier)
        verifier.follower.check_genesis(verifier.source)
        verifier.recovered = True
    verifier.follower.step(verifier.source, verifier.config.follow_batch)
    state = read_l1_state(verifier)
    local = local_chain(verifier, state)
    reconcile(verifier, state)
    acted = 0
    if verifier.config.vote:
        acted += cast_votes(verifier, state, local)
    if verifier.config.post:
        acted += post_next(verifier, state, local)
    if verifier.config.finalize:
        acted += finalize_ready(verifier, state)
    if acted:  # what we sent changed tiers or the head: publish the new state
        state = read_l1_state(verifier)
        reconcile(verifier, state)
    heights = verifier.finality.publish(
        state.finalized.last_block,
        [(p.last_block, p.tier) for p in state.pending],
        state.finalized.pack_id,
    )
    verifier.metrics.set("tier2_height", heights.tier2)
    verifier.metrics.set("tier3_height", heights.tier3)
    update_metrics(verifier, state)
    verifier.metrics.inc("ticks_total")


# -- reading ---------------------------------------------------------------------------


def _pack(verifier: Verifier, pack_id: int) -> Pack:
    pack = verifier._packs.get(pack_id)
    if pack is None:
        pack = verifier.rollup.pack(pack_id)
        verifier._packs[pack_id] = pack
    return pack


def _l1_pack(verifier: Verifier, pack_id: int, tier: Tier, vote: Vote) -> L1Pack:
    pack = _pack(verifier, pack_id)
    pre = _pack(verifier, pack.parent_id).state_root if pack_id else pack.state_root
    return L1Pack(
        pack_id=pack_id,
        parent_id=pack.parent_id,
        height=pack.height,
        first_block=pack.first_block,
        last_block=pack.last_block,
        tx_count=pack.tx_count,
        tx_roots_commitment=pack.tx_roots_commitment,
        state_root=pack.state_root,
        pre_state_root=pre,
        poster=pack.poster,
        tier=tier,
        challenge_deadline=pack.challenge_deadline,
        our_vote=vote,
    )


def _batch(verifier: Verifier, calls: list[Any]) -> list[Any]:
    """Run contract view calls in one JSON-RPC batch (one by one if the node refuses)."""
    if not calls:
        return []
    try:
        with verifier.client.w3.batch_requests() as batch:
            for call in calls:
                batch.add(call)
            return list(batch.execute())
    except (ValueError, TypeError, NotImplementedError, OSError):
        return [verifier.client.call(call) for call in calls]


def read_l1_state(verifier: Verifier) -> L1State:
    """The valid chain above the last finalized pack, with tiers and our votes: three
    JSON-RPC batches whatever the number of pending packs (pack bodies are cached)."""
    fns = verifier.rollup.contract.functions
    me = Web3.to_checksum_address(verifier.address)
    for _ in range(3):
        head_height, finalized_height = (
            int(v) for v in _batch(verifier, [fns.headHeight(), fns.finalizedHeight()])
        )
        heights = range(finalized_height, head_height + 1)
        answers = _batch(
            verifier,
            [fns.packAtHeight(h) for h in heights] + [fns.headHeight(), fns.finalizedHeight()],
        )
        if (int(answers[-2]), int(answers[-1])) == (head_height, finalized_height):
            break  # no post, finalization or invalidation in between
    else:
        raise VerifierError("the Rollup changed during three consecutive reads")
    ids = [int(a) for a in answers[:-2]]
    unknown = [i for i in ids if i not in verifier._packs]
    unknown += [
        p
        for p in {verifier._packs[i].parent_id for i in ids if i in verifier._packs}
        if p not in verifier._packs and p not in unknown
    ]
    pending_ids = ids[1:]
    need_vote = [
        i
        for i in pending_ids
        if i in verifier._packs
        and verifier._packs[i].poster.lower() != verifier.address.lower()
        and (verifier.store.vote(i) or ("", "", ""))[1] != "sent"
    ]
    results = _batch(
        verifier,
        [fns.getPack(i) for i in unknown]
        + [fns.tierOf(i) for i in pending_ids]
        + [fns.voteOf(i, me) for i in need_vote],
    )
    for pack_id, raw in zip(unknown, results[: len(unknown)], strict=True):
        verifier._packs[pack_id] = Pack.from_abi(pack_id, raw)
    tiers = dict(
        zip(pending_ids, results[len(unknown) : len(unknown) + len(pending_ids)], strict=True)
    )
    votes = dict(zip(need_vote, results[len(unknown) + len(pending_ids) :], strict=True))
    now = int(verifier.client.w3.eth.get_block("latest")["timestamp"])
    pending: list[L1Pack] = []
    for pack_id in pending_ids:
        pack = _pack(verifier, pack_id)
        vote = Vote.NONE
        if pack.poster.lower() != verifier.address.lower():
            recorded = verifier.store.vote(pack_id)
            if recorded is not None and recorded[1] == "sent":
                vote = Vote.AFFIRMED if recorded[0] == "affirm" else Vote.REJECTED
            elif pack_id in votes:
                vote = Vote(int(votes[pack_id]))
            else:
                vote = verifier.rollup.vote_of(pack_id, verifier.address)
        pending.append(_l1_pack(verifier, pack_id, Tier(int(tiers[pack_id])), vote))
    finalized = _l1_pack(verifier, ids[0], Tier.ROLLUP_FINAL, Vote.NONE)
    return L1State(now=now, finalized=finalized, pending=tuple(pending))


def local_chain(verifier: Verifier, state: L1State) -> LocalChain:
    """Our re-executed blocks from the finalized pack's last block to what the decisions
    may need (the highest pending pack, or one full pack past the head)."""
    first = state.finalized.last_block
    highest = max([p.last_block for p in state.pending] + [state.head.last_block])
    last = highest + verifier.config.policy.max_blocks
    blocks: dict[int, LocalBlock] = {}
    for number, root, roots, ts, status, detail in verifier.store.summaries(first, last):
        blocks[number] = LocalBlock(
            number=number,
            state_root=root,
            tx_roots=tuple(roots[i : i + 32] for i in range(0, len(roots), 32)),
            timestamp_ms=ts,
            faulty=status != "verified",
            detail=detail,
        )
    return LocalChain(blocks)


# -- recovery and reconciliation -------------------------------------------------------


def recover(verifier: Verifier) -> None:
    """Settle every pack a crash left ``posting``."""
    for row in verifier.store.packs(PackStatus.POSTING):
        settle_posting(verifier, row)
    verifier.log("resumed", packs=verifier.store.pack_counts())


def _find_posted(verifier: Verifier, row: PackRow) -> int | None:
    """The L1 pack id of ``row`` if its posting landed (by our poster, same parent, same
    first block and commitment)."""
    event = verifier.rollup.contract.events.PackPosted()
    logs = event.get_logs(
        from_block=max(0, (row.sent_block or 0) - 1),
        argument_filters={
            "poster": Web3.to_checksum_address(verifier.address),
            "parentId": row.parent_pack,
        },
    )
    for log in logs:
        header = log["args"]["header"]
        first_block, commitment = header["firstBlock"], header["txRootsCommitment"]
        if int(first_block) == row.first_block and bytes(commitment) == row.commitment:
            return int(log["args"]["packId"])
    return None


def settle_posting(verifier: Verifier, row: PackRow) -> None:
    """Decide what happened to a ``posting`` pack from L1 alone. The nonces are read
    before the logs: a posting mined before the nonce read is then in the logs, and one
    mined after it is still counted as pending."""
    eth = verifier.client.w3.eth
    address = Web3.to_checksum_address(verifier.address)
    latest = eth.get_transaction_count(address, "latest")
    pending = eth.get_transaction_count(address, "pending")
    pack_id = _find_posted(verifier, row)
    if pack_id is not None:
        verifier.store.set_pack_status(row.id, PackStatus.POSTED, l1_pack_id=pack_id)
        verifier.log("pack-recovered", pack=row.id, l1_pack=pack_id, outcome="posted")
        verifier.metrics.inc("recoveries_total", outcome="posted")
        return
    nonce = row.nonce if row.nonce is not None else latest
    if latest <= nonce < pending:
        verifier.log("pack-recovered", pack=row.id, outcome="in-mempool")
        verifier.metrics.inc("recoveries_total", outcome="in-mempool")
        return  # still in flight; look again next tick
    verifier.client.nonces.resync(verifier.address)
    outcome = "nonce-used-elsewhere" if latest > nonce else "never-sent"
    verifier.store.set_pack_status(row.id, PackStatus.BUILT, detail=f"recovered: {outcome}")
    verifier.log("pack-recovered", pack=row.id, outcome=outcome)
    verifier.metrics.inc("recoveries_total", outcome=outcome)


def reconcile(verifier: Verifier, state: L1State) -> None:
    """Move our packs along their lifecycle from the L1 tiers."""
    rows = verifier.store.packs(PackStatus.BUILT, PackStatus.POSTED, PackStatus.TIER2)
    known = {pack.pack_id: pack.tier for pack in state.pending}
    tiers: dict[int, Tier] = {}
    for row in rows:
        if row.l1_pack_id is not None and row.status is not PackStatus.BUILT:
            tier = known.get(row.l1_pack_id)
            tiers[row.l1_pack_id] = (
                tier if tier is not None else verifier.rollup.tier_of(row.l1_pack_id)
            )
    for row_id, status in decide.reconcile_packs(rows, tiers, state.head):
        row = verifier.store.set_pack_status(row_id, status)
        verifier.metrics.inc("pack_transitions_total", status=status.value)
        verifier.log(
            "pack-status",
            pack=row.id,
            l1_pack=row.l1_pack_id,
            status=status.value,
            blocks=[row.first_block, row.last_block],
        )


# -- votes -----------------------------------------------------------------------------


def da_problem(verifier: Verifier, pack: L1Pack) -> str | None:
    """None when the pack's DA payload carries exactly our blocks, else why not."""
    if pack.pack_id in verifier._da_verdicts:
        return verifier._da_verdicts[pack.pack_id]
    stored = _pack(verifier, pack.pack_id)
    ours = [
        Block.decode(r.encoded) for r in verifier.store.blocks(pack.first_block, pack.last_block)
    ]
    problem: str | None = None
    if stored.da_kind is DaKind.CALLDATA:
        try:
            decoded = decode_pack_data(verifier.rollup.calldata_of(pack.pack_id))
        except PackDataError as error:
            problem = f"calldata is not a pack payload: {error}"
        else:
            if [b.hash for b in decoded.blocks] != [b.hash for b in ours]:
                problem = "calldata blocks differ from the producer's blocks"
    else:
        sidecar = BlobSidecar.for_data(encode_pack_data(ours))
        if blob_commitment(sidecar.versioned_hashes) != stored.da_commitment:
            problem = "blob versioned hashes differ from our encoding of the blocks"
    verifier._da_verdicts[pack.pack_id] = problem
    return problem


def cast_votes(verifier: Verifier, state: L1State, local: LocalChain) -> int:
    """Send this round's votes; returns how many landed."""
    sent = 0
    for decision in decide.votes_to_cast(state, verifier.address, local, {}):
        verdict, reason = decision.verdict, decision.reason
        pack = next(p for p in state.pending if p.pack_id == decision.pack_id)
        if verdict is Verdict.AFFIRM:
            problem = da_problem(verifier, pack)
            if problem is not None:
                verdict, reason = Verdict.REJECT, problem
        verifier.store.record_vote(pack.pack_id, verdict.value, "sending", reason)
        try:
            if verdict is Verdict.AFFIRM:
                receipt = verifier.rollup.affirm(verifier.account, pack.pack_id)
            else:
                receipt = verifier.rollup.reject(verifier.account, pack.pack_id)
        except TransactionReverted as error:
            status = "sent" if error.reason.name == "AlreadyVoted" else "failed"
            verifier.store.record_vote(pack.pack_id, verdict.value, status, str(error))
            verifier.log("vote-failed", pack=pack.pack_id, vote=verdict.value, error=str(error))
            verifier.metrics.inc("vote_failures_total")
            continue
        verifier.store.record_vote(
            pack.pack_id, verdict.value, "sent", reason, bytes(receipt["transactionHash"])
        )
        sent += 1
        verifier.metrics.inc("votes_total", vote=verdict.value)
        verifier.log(
            "pack-" + ("affirmed" if verdict is Verdict.AFFIRM else "rejected"),
            pack=pack.pack_id,
            poster=pack.poster,
            blocks=[pack.first_block, pack.last_block],
            reason=reason,
            gas=int(receipt["gasUsed"]),
        )
    return sent


# -- posting ---------------------------------------------------------------------------


def _data_limit(verifier: Verifier) -> int:
    if verifier.config.da is DaKind.BLOBS:
        return MAX_BLOB_DATA
    return verifier.config.max_calldata_bytes


def _blocks_of(verifier: Verifier, first: int, last: int) -> list[Block]:
    return [Block.decode(r.encoded) for r in verifier.store.blocks(first, last)]


FAULT_ROW = "fault_pack_row"


def _txs_before(verifier: Verifier, first: int) -> int:
    return sum(len(block.transactions) for block in _blocks_of(verifier, 1, first - 1))


def _with_fault(verifier: Verifier, blocks: list[Block], row_id: int | None) -> list[Block]:
    """The blocks as this verifier claims them: honest, except for the one lying pack of
    ``--lie-at-tx`` (``row_id`` None: a pack being built, which lies if it is the first
    to cover the transaction)."""
    lie_at = verifier.config.lie_at_tx
    if lie_at is None or not blocks:
        return blocks
    recorded = verifier.store.meta(FAULT_ROW)
    if row_id is None and recorded is not None:
        lost_race = verifier.store.pack(int(recorded)).status is PackStatus.SUPERSEDED
        if not lost_race:
            return blocks  # the lie was told already
    if row_id is not None and recorded != str(row_id):
        return blocks
    before = _txs_before(verifier, blocks[0].number)
    start = max(lie_at, before + 1)  # a lying pack that lost the race lies in the next one
    if not faults.covers(blocks, before, start):
        return blocks
    return faults.corrupt_blocks(blocks, before, start)


def post_next(verifier: Verifier, state: L1State, local: LocalChain) -> int:
    """Send our built pack, or build the next one and send it; returns 1 if one landed."""
    posting = verifier.store.packs(PackStatus.POSTING)
    if posting:
        settle_posting(verifier, posting[0])
        return 0
    built = verifier.store.packs(PackStatus.BUILT)
    row = built[0] if built else build_next(verifier, state, local)
    if row is None:
        return 0
    send_pack(verifier, row)
    return 1 if verifier.store.pack(row.id).status is PackStatus.POSTED else 0


def build_next(verifier: Verifier, state: L1State, local: LocalChain) -> PackRow | None:
    plan = decide.next_pack(state, local, verifier.config.policy, verifier.clock())
    if isinstance(plan, NoPack):
        if plan.blocked and plan.reason != verifier._last_wait:
            verifier.log("posting-blocked", reason=plan.reason)
            verifier.metrics.inc("posting_blocked_total")
        verifier._last_wait = plan.reason
        return None
    last = plan.last_block
    limit = _data_limit(verifier)
    blocks = _blocks_of(verifier, plan.first_block, last)
    data = encode_pack_data(blocks)
    while len(data) > limit and last > plan.first_block:
        last = plan.first_block + (last - plan.first_block) // 2
        blocks = blocks[: last - plan.first_block + 1]
        data = encode_pack_data(blocks)
    if len(data) > limit:
        reason = f"block {plan.first_block} alone needs {len(data)} B of DA (limit {limit})"
        if reason != verifier._last_wait:
            verifier.log("posting-blocked", reason=reason)
            verifier.metrics.inc("posting_blocked_total")
        verifier._last_wait = reason
        return None
    expected = decide.expected_pack(local, plan.first_block, last)
    assert isinstance(expected, decide.ExpectedPack)
    claimed = _with_fault(verifier, blocks, None)
    lying = claimed is not blocks
    if lying:
        roots = tuple(root for block in claimed for root in block.tx_state_roots)
        expected = decide.ExpectedPack(
            plan.first_block,
            last,
            expected.pre_state_root,
            roots,
            tx_roots_commitment(roots),
            claimed[-1].state_root,
        )
    detail = ""
    for old in verifier.store.packs(PackStatus.INVALIDATED):
        if old.first_block <= plan.first_block <= old.last_block:
            detail = f"rebuilt after L1 pack {old.l1_pack_id} was invalidated"
    row_id = verifier.store.add_pack(
        first_block=plan.first_block,
        last_block=last,
        parent_pack=plan.parent_id,
        parent_root=expected.pre_state_root,
        tx_count=expected.tx_count,
        commitment=expected.tx_roots_commitment,
        state_root=expected.state_root,
        da=verifier.config.da.name.lower(),
        detail=detail,
    )
    if lying:
        verifier.store.set_meta(FAULT_ROW, str(row_id))
        verifier.log("fault-injected", pack=row_id, lie_at_tx=verifier.config.lie_at_tx)
        verifier.metrics.inc("faults_injected_total")
    raw_size = sum(len(b.encode()) for b in blocks)
    verifier.log(
        "pack-rebuilt" if detail else "pack-built",
        pack=row_id,
        parent=plan.parent_id,
        blocks=[plan.first_block, last],
        txs=expected.tx_count,
        data_bytes=len(data),
        raw_bytes=raw_size,
    )
    verifier.metrics.inc("packs_built_total")
    return verifier.store.pack(row_id)


def send_pack(verifier: Verifier, row: PackRow) -> None:
    """Post ``row`` if it still extends the L1 head (checked right before sending)."""
    rollup = verifier.rollup
    head = rollup.head()
    if head != row.parent_pack:
        verifier.store.set_pack_status(
            row.id, PackStatus.SUPERSEDED, detail=f"L1 head moved to {head}"
        )
        verifier.log("pack-superseded", pack=row.id, head=head)
        verifier.metrics.inc("packs_superseded_total")
        return
    blocks = _with_fault(verifier, _blocks_of(verifier, row.first_block, row.last_block), row.id)
    roots = [root for block in blocks for root in block.tx_state_roots]
    pack = build_pack(row.parent_pack, row.first_block, row.last_block, roots, row.parent_root)
    if pack.header.tx_roots_commitment != row.commitment and roots:
        raise VerifierError(f"pack row {row.id}: stored blocks no longer give its commitment")
    data = encode_pack_data(blocks)
    eth = verifier.client.w3.eth
    nonce = eth.get_transaction_count(Web3.to_checksum_address(verifier.address), "pending")
    verifier.store.set_pack_status(
        row.id, PackStatus.POSTING, nonce=nonce, sent_block=int(eth.block_number)
    )
    verifier.crash.posts += 1
    verifier.crash.hit("before-send")
    started = time.monotonic()
    try:
        if verifier.config.da is DaKind.BLOBS:
            posted = rollup.post_pack_with_blobs(verifier.account, pack, data)
        else:
            posted = rollup.post_pack(verifier.account, pack, data)
    except TransactionReverted as error:
        verifier.client.nonces.resync(verifier.address)
        if error.reason.name == "ParentNotHead":
            verifier.store.set_pack_status(row.id, PackStatus.SUPERSEDED, detail=str(error))
            verifier.log("pack-superseded", pack=row.id, error=str(error))
            verifier.metrics.inc("packs_superseded_total")
        elif error.reason.name == "ParentDefeated":
            # the head lost a dispute and nobody invalidated it yet: do it (anyone may),
            # then build again from the head it reverts to
            verifier.store.set_pack_status(row.id, PackStatus.SUPERSEDED, detail=str(error))
            invalidate_defeated(verifier, row.parent_pack)
        else:
            verifier.store.set_pack_status(row.id, PackStatus.BUILT, detail=str(error))
            verifier.log("post-failed", pack=row.id, error=str(error))
            verifier.metrics.inc("post_failures_total")
        return
    verifier.crash.hit("after-send")
    verifier.store.set_pack_status(
        row.id,
        PackStatus.POSTED,
        l1_pack_id=posted.pack_id,
        tx_hash=bytes(posted.receipt["transactionHash"]),
    )
    da = verifier.config.da.name.lower()
    verifier.metrics.inc("packs_posted_total", da=da)
    verifier.metrics.set("last_pack_bytes", len(data))
    receipt: dict[str, Any] = dict(posted.receipt)
    blob_gas = int(receipt.get("blobGasUsed", 0) or 0)
    verifier.log(
        "pack-posted",
        pack=row.id,
        l1_pack=posted.pack_id,
        parent=row.parent_pack,
        blocks=[row.first_block, row.last_block],
        txs=row.tx_count,
        da=da,
        data_bytes=len(data),
        gas=int(posted.receipt["gasUsed"]),
        blob_gas=blob_gas,
        seconds=round(time.monotonic() - started, 3),
        tx="0x" + bytes(posted.receipt["transactionHash"]).hex(),
    )


def invalidate_defeated(verifier: Verifier, pack_id: int) -> None:
    """Invalidate ``pack_id`` (and every later pack), which lost its dispute."""
    try:
        receipt = verifier.rollup.invalidate(verifier.account, pack_id)
    except TransactionReverted as error:  # someone else was faster
        verifier.log("invalidate-skipped", pack=pack_id, error=str(error))
        verifier.metrics.inc("invalidate_skipped_total")
        return
    verifier.metrics.inc("invalidated_total")
    verifier.log("pack-invalidated", pack=pack_id, gas=int(receipt["gasUsed"]))


# -- finalization and metrics ----------------------------------------------------------


def finalize_ready(verifier: Verifier, state: L1State) -> int:
    """Finalize the packs whose window is over; returns how many."""
    done = 0
    for pack_id in decide.packs_to_finalize(state):
        if not verifier.rollup.can_finalize(pack_id):
            break
        try:
            receipt = verifier.rollup.finalize(verifier.account, pack_id)
        except TransactionReverted as error:  # another party finalized it first
            verifier.log("finalize-skipped", pack=pack_id, error=str(error))
            verifier.metrics.inc("finalize_skipped_total")
            break
        done += 1
        verifier.metrics.inc("finalized_total")
        verifier.log("pack-finalized", pack=pack_id, gas=int(receipt["gasUsed"]))
    return done


def update_metrics(verifier: Verifier, state: L1State) -> None:
    counts = verifier.store.pack_counts()
    for status in PackStatus:
        verifier.metrics.set("packs", counts.get(status.value, 0), status=status.value)
    verifier.metrics.set("l1_head_pack", state.head.pack_id)
    verifier.metrics.set("l1_head_block", state.head.last_block)
    last = verifier.store.last_verified()
    verifier.metrics.set("verified_height", last.number if last is not None else -1)


def _describe_metrics(metrics: Metrics) -> None:
    metrics.describe("blocks_verified_total", "L2 blocks re-executed with matching roots")
    metrics.describe("faulty_blocks_total", "L2 blocks whose re-execution did not match")
    metrics.describe("packs_posted_total", "packs this verifier posted, by DA kind")
    metrics.describe("packs", "packs this verifier built, by lifecycle status")
    metrics.describe("votes_total", "affirmations and rejections sent")
    metrics.describe("finalized_total", "packs finalized by this verifier")
    metrics.describe("tier2_height", "highest L2 block at tier 2 (verification-level)")
    metrics.describe("tier3_height", "highest L2 block at tier 3 (rollup-level)")
    metrics.describe("verified_height", "highest L2 block re-executed and verified")
