"""Several producers: a slot rule for proposals and GRANDPA finality over HTTP.

With ``--voter-key`` and ``--validator``/``--peer`` options the node joins a producer set
(the sequencers selected for the rollup, in the registry's order). Blocks become tier 1
when GRANDPA (:mod:`agents.producer.grandpa`) finalizes them; only finalized blocks enter
the chain database, so every RPC answer (``latest``, receipts, tiers) is final at tier 1.

Slot rule. Producers build only on the last finalized block F (one unfinalized height
at a time; no pipelining). The proposer of height ``F.number + 1`` is voter
``(F.number + 1 + attempt) mod n``, where ``attempt`` counts the ``slot_timeout_ms``
periods since F was finalized here: if the proposer is down or has nothing to propose,
the next one takes over. A proposal is the block in the codec of
:mod:`agents.producer.blocks` plus the proposer's signature over the block hash
(``keccak256("altrollup.proposal.v1" || hash)``, ``r || s || v``); peers accept one
proposal per member and height (attempt counters differ between producers by when they
saw F finalized, so the slot rule decides who proposes, not what a peer may import),
re-execute it on F's state (:func:`~agents.producer.blocks.reexecute_block`), and
import it into their voter. Competing proposals for one height (a slow proposer, then
its successor) are all imported; GRANDPA finalizes at most one. A vote for a block we
never received makes the sync thread fetch it from the peers
(``altrollup_getCandidate``), so every voter ends up seeing every proposal and the
prevotes converge (longest chain, ties to the lowest hash).

Messages between producers are JSON-RPC calls on each producer's port:
``altrollup_proposeBlock(block, signature)``, ``altrollup_grandpaVote(hex)``
(``SignedVote.encode``), ``altrollup_grandpaCertificate(hex)`` (``encode_certificate``),
``altrollup_getCandidate(hash)`` (a proposal by hash, for a producer that missed it),
``altrollup_getFinalityCertificate()`` (the certificate of the last finalized block),
``altrollup_grandpaVotes(round)`` (every vote held for a round: a voter whose round
lags fetches a peer's two latest rounds and jumps ahead once one is completable).
One sender thread per peer delivers them in order, retrying a peer that is down.

The voter's ``PersistState`` snapshot is written to ``grandpa.json`` (fsync, atomic
rename) before any later action, so a restarted producer never signs a conflicting vote.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import coincurve

from agents.producer.blocks import Block, BlockFormatError, ExecutedBlock, keccak, reexecute_block
from agents.producer.finality.messages import (
    SignedVote,
    Vote,
    VoterSet,
    address_of,
    decode_certificate,
    encode_certificate,
    recover_address,
    sign_digest,
    sign_vote,
)
from agents.producer.finality.rounds import all_votes
from agents.producer.grandpa import (
    BlockImported,
    BroadcastCertificate,
    BroadcastVote,
    CertificateReceived,
    EquivocationFound,
    Event,
    Finalized,
    GrandpaConfig,
    PersistState,
    ScheduleTimer,
    TimerFired,
    Voter,
    VoteReceived,
)
from agents.rpc.client import JsonRpcClient, RpcCallError, RpcTransportError
from agents.rpc.server import INVALID_PARAMS, RpcError, positional_params

if TYPE_CHECKING:
    from agents.producer.node import ProducerNode

PROPOSAL_DOMAIN = b"altrollup.proposal.v1"
PROPOSAL_REJECTED = -32020


def proposal_digest(block_hash: bytes) -> bytes:
    return keccak(PROPOSAL_DOMAIN + block_hash)


@dataclass(frozen=True)
class ConsensusConfig:
    """A producer's place in the producer set."""

    voter_key: bytes
    validators: tuple[bytes, ...]  # addresses, in voter-set order
    peers: tuple[str, ...]  # the other producers' RPC URLs
    set_id: int = 0
    gossip_ms: int = 40
    slot_timeout_ms: int = 1000
    equivocate: bool = False  # fault injection: also sign a conflicting vote each time


class PeerSender:
    """Delivers messages to one peer in order; retries while the peer is down."""

    def __init__(self, url: str, stop: threading.Event, log: Callable[..., None]) -> None:
        self.url = url
        self.client = JsonRpcClient(url, timeout=5.0)
        self.queue: queue.Queue[tuple[list[tuple[str, list[Any]]], float]] = queue.Queue(
            maxsize=10_000
        )
        self._stop = stop
        self._log = log
        self._gossip: list[str] = []
        self._gossip_lock = threading.Lock()
        self._gossip_ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"peer {url}", daemon=True)
        self.thread.start()
        self.gossip_thread = threading.Thread(target=self._run_gossip, daemon=True)
        self.gossip_thread.start()

    def gossip(self, raws_hex: list[str]) -> None:
        """Queue transactions for the peer's intake; sent in batches, best effort (the
        peer may already know them, or be down: it then catches up through blocks)."""
        with self._gossip_lock:
            if len(self._gossip) < 50_000:
                self._gossip.extend(raws_hex)
        self._gossip_ready.set()

    def _run_gossip(self) -> None:
        client = JsonRpcClient(self.url, timeout=5.0)
        while not self._stop.is_set():
            if not self._gossip_ready.wait(0.2):
                continue
            self._gossip_ready.clear()
            with self._gossip_lock:
                pending, self._gossip = self._gossip, []
            for start in range(0, len(pending), 500):
                chunk = pending[start : start + 500]
                try:
                    client.batch([("eth_sendRawTransaction", [raw]) for raw in chunk])
                except RpcTransportError:
                    break  # peer down: it learns the transactions from blocks

    def send(self, method: str, params: list[Any], ttl_s: float = 10.0) -> None:
        self.send_many([(method, params)], ttl_s)

    def send_many(self, calls: list[tuple[str, list[Any]]], ttl_s: float = 10.0) -> None:
        """Queue calls (one JSON-RPC batch when several); dropped after ``ttl_s``."""
        try:
            self.queue.put_nowait((calls, time.monotonic() + ttl_s))
        except queue.Full:
            self._log("peer_queue_full", peer=self.url, method=calls[0][0])

    def _run(self) -> None:
        down = False
        while not self._stop.is_set():
            try:
                calls, expires = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            method = calls[0][0]
            while not self._stop.is_set() and time.monotonic() < expires:
                try:
                    if len(calls) == 1:
                        self.client.call(method, *calls[0][1])
                    else:
                        self.client.batch(calls)  # per-call errors: e.g. "already known"
                except RpcTransportError:
                    if not down:
                        self._log("peer_down", peer=self.url)
                    down = True
                    self._stop.wait(0.2)
                    continue
                except RpcCallError as exc:
                    self._log("peer_refused", peer=self.url, method=method, error=exc.message)
                if down:
                    self._log("peer_up", peer=self.url)
                down = False
                break


class Consensus:
    """The producer-set side of a node: proposals, votes, finalization."""

    def __init__(self, node: ProducerNode, config: ConsensusConfig) -> None:
        self.node = node
        self.config = config
        self.key = coincurve.PrivateKey(config.voter_key)
        self.address = address_of(self.key)
        self.voter_set = VoterSet.of(node.config.chain_id, config.set_id, list(config.validators))
        index = self.voter_set.index_of(self.address)
        if index is None:
            raise ValueError("--voter-key is not one of the --validator addresses")
        if node.config.coinbase != self.address:
            raise ValueError("with several producers the coinbase is the voter's address")
        self.index = index
        self.grandpa = GrandpaConfig(
            gossip_duration=config.gossip_ms, rebroadcast_interval=5 * config.gossip_ms
        )
        self.snapshot_path = node.config.state_dir / "grandpa.json"
        self._equivocations: set[tuple[bytes, int]] = set()  # (offender, round) reported
        self._equivocation_reports: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.candidates: dict[bytes, ExecutedBlock] = {}
        self.future: dict[bytes, Block] = {}  # signed proposals above the next height
        self._wanted: set[bytes] = set()  # voted-for blocks we do not have
        self._sync_now = threading.Event()
        self.head_since = node.clock_ms()
        self._timer_at: int | None = None
        self._timer_event = threading.Event()
        self._stop = threading.Event()
        self.voter = self._load_voter()
        self.peers = [PeerSender(url, self._stop, node.log) for url in config.peers]
        self._timer_thread = threading.Thread(target=self._timer_loop, name="grandpa", daemon=True)
        self._sync_thread = threading.Thread(target=self._sync_loop, name="sync", daemon=True)

    def _load_voter(self) -> Voter:
        head = self.node.head
        now = self.node.clock_ms()
        if self.snapshot_path.exists():
            voter = Voter.restore(self.snapshot_path.read_bytes(), self.voter_set, self.key,
                                  self.grandpa, now=now)  # fmt: skip
            if voter.finalized.number > head.number:
                # killed between the voter's snapshot and the chain write: catch_up fetches
                # the missing blocks from peers (checked against the finalized hash)
                self.node.log("voter_ahead", voter=voter.finalized.number, chain=head.number)
                return voter
            if voter.finalized.hash == head.hash:
                return voter
        return Voter.create(self.voter_set, head.finality_block(), self.key, now, self.grandpa)

    # --- lifecycle ---
    def start(self) -> None:
        self._timer_thread.start()
        self._sync_thread.start()
        with self.lock:
            self._handle(TimerFired(self.node.clock_ms()))

    def stop(self) -> None:
        self._stop.set()
        self._timer_event.set()
        self._sync_now.set()
        self._timer_thread.join(timeout=5)
        self._sync_thread.join(timeout=10)

    def _sync_loop(self) -> None:
        last_catch_up = 0.0
        while not self._stop.is_set():
            self._sync_now.wait(1.0)
            self._sync_now.clear()
            try:
                self._fetch_wanted()
                if time.monotonic() - last_catch_up >= 1.0:
                    last_catch_up = time.monotonic()
                    self.catch_up()
                    self.catch_up_rounds()
            except Exception as exc:  # noqa: BLE001 - keep syncing; report it
                self.node.log("sync_error", error=repr(exc))

    def _fetch_wanted(self) -> None:
        """Fetch proposals that peers voted for and we never received."""
        with self.lock:
            wanted, self._wanted = self._wanted, set()
        for block_hash in wanted:
            for peer in self.peers:
                try:
                    found = peer.client.call("altrollup_getCandidate", "0x" + block_hash.hex())
                    block = Block.from_json(found) if found else None
                except (RpcTransportError, RpcCallError, BlockFormatError):
                    continue
                if block is None:
                    continue
                with self.lock:
                    if block.hash in self.candidates or block.number != self.node.head.number + 1:
                        break
                    if self._import(block):
                        self.node.log("fetched_proposal", number=block.number,
                                      hash="0x" + block.hash.hex(), peer=peer.url)  # fmt: skip
                break

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            with self.lock:
                due = self._timer_at
            now = self.node.clock_ms()
            if due is not None and due <= now:
                with self.lock:
                    self._timer_at = None
                    self._handle(TimerFired(now))
                continue
            wait = 0.05 if due is None else min(0.05, (due - now) / 1000)
            self._timer_event.wait(wait)
            self._timer_event.clear()

    # --- the voter ---
    def _handle(self, event: Event) -> None:
        """Feed the voter and carry out its actions in order (caller holds the lock)."""
        for action in self.voter.handle(event):
            if isinstance(action, PersistState):
                temporary = self.snapshot_path.with_suffix(".tmp")
                with temporary.open("wb") as handle:
                    handle.write(action.snapshot)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.snapshot_path)
            elif isinstance(action, BroadcastVote):
                self._broadcast("altrollup_grandpaVote", [action.vote.encode().hex()], 2.0)
                if self.config.equivocate:
                    self._equivocate(action.vote)
            elif isinstance(action, BroadcastCertificate):
                encoded = encode_certificate(action.certificate).hex()
                self._broadcast("altrollup_grandpaCertificate", [encoded], 5.0)
            elif isinstance(action, Finalized):
                self._finalize([b.hash for b in action.chain])
            elif isinstance(action, EquivocationFound):
                key = (action.evidence.offender, action.evidence.round)
                if key in self._equivocations:
                    continue  # the same evidence again (rebroadcast votes)
                self._equivocations.add(key)
                self._equivocation_reports.append(
                    {"offender": "0x" + key[0].hex(), "round": key[1], "atMs": self.node.clock_ms()}
                )
                self.node.metrics.inc("equivocations_total")
                self.node.log("equivocation", offender="0x" + action.evidence.offender.hex(),
                              round=action.evidence.round)  # fmt: skip
            elif isinstance(action, ScheduleTimer):
                self._timer_at = action.at
                self._timer_event.set()

    def _equivocate(self, honest: SignedVote) -> None:
        """Fault injection (``--equivocate``): sign and send a second vote of the same
        round and phase for another block. Peers detect it (``equivocation`` log line,
        ``equivocations_total`` metric, evidence for slashing); the voter's own state is
        untouched, so its honest votes still count with f < n/3 such producers."""
        vote = honest.vote
        other = Vote(
            vote.round,
            vote.phase,
            keccak(b"altrollup.equivocation" + vote.block_hash),
            vote.block_number,
        )
        signed = sign_vote(other, self.voter_set, self.index, self.key)
        self._broadcast("altrollup_grandpaVote", [signed.encode().hex()], 2.0)
        self.node.metrics.inc("equivocations_sent_total")
        self.node.log(
            "equivocated",
            round=vote.round,
            phase=int(vote.phase),
            honest="0x" + vote.block_hash.hex(),
            other="0x" + other.block_hash.hex(),
        )

    def _broadcast(self, method: str, params: list[Any], ttl_s: float) -> None:
        for peer in self.peers:
            peer.send(method, params, ttl_s)

    def gossip_transactions(self, raws: list[bytes]) -> None:
        """Hand transactions submitted here to every peer's intake, so whoever proposes
        next has them (aggregators' batches reach every producer through gap recovery)."""
        encoded = ["0x" + raw.hex() for raw in raws]
        for peer in self.peers:
            peer.gossip(encoded)

    def _finalize(self, hashes: list[bytes]) -> None:
        node = self.node
        for block_hash in hashes:
            if node.chain.number_of_hash(block_hash) is not None:
                continue  # already written
            executed = self.candidates.get(block_hash)
            try:
                if executed is None:
                    executed = self._fetch_candidate(block_hash)
            except RuntimeError as exc:
                node.log("finalized_unavailable", hash="0x" + block_hash.hex(), error=str(exc))
                break  # catch_up writes it once a peer serves it
            block = executed.block
            if block.parent_hash != node.head.hash:
                node.log("finalized_gap", number=block.number, head=node.head.number)
                break  # blocks below are missing here: catch_up fills the gap
            with node.state.locked() as store:
                store.reset_head(block.state_root)
                if node.config.sync_state:
                    store.flush()
            node.chain.append(executed)
            self.head_since = node.clock_ms()
            node.metrics.inc("blocks_total")
            node.metrics.inc("transactions_total", len(block.transactions))
            node.metrics.set("head_number", block.number)
            node.log("block_finalized", number=block.number, hash="0x" + block.hash.hex(),
                     txs=len(block.transactions), producer="0x" + block.producer.hex(),
                     round=self.voter.round)  # fmt: skip
        self._prune_candidates()
        self._import_future()
        node.notify_arrival()

    def _prune_candidates(self) -> None:
        """Keep only candidates that descend from the finalized head (lock held)."""
        head = self.node.head
        kept: dict[bytes, ExecutedBlock] = {}
        for executed in sorted(self.candidates.values(), key=lambda e: e.block.number):
            block = executed.block
            if block.number > head.number and (
                block.parent_hash == head.hash or block.parent_hash in kept
            ):
                kept[block.hash] = executed
        self.candidates = kept

    def _fetch_candidate(self, block_hash: bytes) -> ExecutedBlock:
        for peer in self.peers:
            try:
                found = peer.client.call("altrollup_getCandidate", "0x" + block_hash.hex())
            except (RpcTransportError, RpcCallError):
                continue
            if found:
                executed = self._execute(Block.from_json(found))
                if executed is not None:
                    return executed
        raise RuntimeError(f"finalized block 0x{block_hash.hex()} is not available from peers")

    def _execute(self, block: Block) -> ExecutedBlock | None:
        """Re-execute a block on its parent's state (the finalized head or a candidate we
        hold); ``None`` if the parent is unknown or the block is wrong (lock held)."""
        node = self.node
        head = node.head
        if block.parent_hash == head.hash:
            parent = head
        elif block.parent_hash in self.candidates:
            parent = self.candidates[block.parent_hash].block
        else:
            return None
        if block.number != parent.number + 1:
            return None
        hashes: dict[int, bytes] = {}
        cursor = parent
        while cursor.number > head.number:
            hashes[cursor.number] = cursor.hash
            below = self.candidates.get(cursor.parent_hash)
            if below is None:
                return None  # a branch that does not reach the finalized head
            cursor = below.block
        if cursor.hash != head.hash:
            return None

        def block_hash(number: int) -> bytes:
            return hashes.get(number) or node.chain.block_hash(number)

        with node.state.locked() as store:
            store.reset_head(parent.state_root)
            result = reexecute_block(node.state.head_backend(), parent, block,
                                     node.chain_config, block_hash)  # fmt: skip
            store.reset_head(head.state_root)
        if not result.ok:
            node.log("proposal_invalid", number=block.number, hash="0x" + block.hash.hex(),
                     mismatch=result.mismatches[0])  # fmt: skip
            return None
        return result.executed

    # --- the slot rule ---
    def proposer(self, number: int, attempt: int) -> int:
        return (number + attempt) % len(self.voter_set.voters)

    def attempt(self) -> int:
        return max(0, (self.node.clock_ms() - self.head_since) // self.config.slot_timeout_ms)

    def may_propose(self) -> bool:
        """My turn at the next height, and no proposal of mine is pending there."""
        with self.lock:
            number = self.node.head.number + 1
            if self.proposer(number, self.attempt()) != self.index:
                return False
            return not any(
                e.block.number == number and e.block.producer == self.address
                for e in self.candidates.values()
            )

    def propose(self, executed: ExecutedBlock) -> None:
        """Our block for the next height: remember, vote on it, send it to the peers."""
        block = executed.block
        signature = sign_digest(self.key, proposal_digest(block.hash))
        with self.lock:
            self.candidates[block.hash] = executed
            self._handle(BlockImported(block.finality_block(), self.node.clock_ms()))
        self._broadcast("altrollup_proposeBlock", [block.to_json(), "0x" + signature.hex()], 5.0)
        self.node.log("block_proposed", number=block.number, hash="0x" + block.hash.hex(),
                      txs=len(block.transactions))  # fmt: skip

    # --- RPC handlers ---
    def on_proposal(self, params: Any) -> bool:
        block_json, signature_hex = positional_params(params, 2, 2)
        try:
            block = Block.from_json(block_json)
            signature = bytes.fromhex(str(signature_hex).removeprefix("0x"))
        except (BlockFormatError, ValueError, TypeError) as exc:
            raise RpcError(INVALID_PARAMS, f"invalid proposal: {exc}") from None
        signer = recover_address(proposal_digest(block.hash), signature)
        if signer is None or self.voter_set.index_of(signer) is None or block.producer != signer:
            raise RpcError(PROPOSAL_REJECTED, "proposal not signed by a producer of the set")
        with self.lock:
            if block.hash in self.candidates or self.node.chain.number_of_hash(block.hash):
                return True
            next_number = self.node.head.number + 1
            if block.number < next_number:
                raise RpcError(PROPOSAL_REJECTED, f"proposal for finalized height {block.number}")
            if block.number > next_number:  # we lag: keep it until its parent is final
                if len(self.future) < 1024:
                    self.future[block.hash] = block
                return True
            # Any member's proposal for the next height is imported (attempt counters
            # differ between producers by their finalization times; refusing a valid
            # proposal some peers hold would split the prevotes); one per producer and
            # height, so a member cannot flood the tree.
            if any(e.block.number == block.number and e.block.producer == signer
                   for e in self.candidates.values()):  # fmt: skip
                raise RpcError(PROPOSAL_REJECTED, "this producer already proposed this height")
            if not self._import(block):
                raise RpcError(PROPOSAL_REJECTED, "proposal does not re-execute")
        self.node.log("proposal_imported", number=block.number, hash="0x" + block.hash.hex(),
                      producer="0x" + signer.hex())  # fmt: skip
        return True

    def _import(self, block: Block) -> bool:
        """Re-execute a block for the next height and hand it to the voter (lock held)."""
        executed = self._execute(block)
        if executed is None:
            return False
        self.candidates[block.hash] = executed
        self._handle(BlockImported(block.finality_block(), self.node.clock_ms()))
        return True

    def _import_future(self) -> None:
        """Proposals that arrived early, now for the next height (lock held)."""
        next_number = self.node.head.number + 1
        for block_hash, block in list(self.future.items()):
            if block.number < next_number:
                del self.future[block_hash]
            elif block.number == next_number and block.parent_hash == self.node.head.hash:
                del self.future[block_hash]
                self._import(block)

    def catch_up(self, window: int = 64) -> None:
        """If a peer has finalized past our head, fetch its next blocks (up to ``window``),
        re-execute them and hand them to the voter; the peers' re-sent certificates then
        finalize them here. Blocks our own voter already knows final (a crash between its
        snapshot and the chain write) are written directly once the fetched chain ends
        at the voter's finalized hash. Covers restarts and missed proposals."""
        for peer in self.peers:
            start = self.node.head.number + 1
            try:
                peer_head = int(peer.client.call("eth_blockNumber"), 16)
                if peer_head < start:
                    continue
                last = min(peer_head, start + window - 1)
                answers = peer.client.batch(
                    [("altrollup_getBlockForVerifier", [hex(n)]) for n in range(start, last + 1)]
                )
                blocks = [Block.from_json(a["result"]) for a in answers if a.get("result")]
            except (RpcTransportError, RpcCallError, BlockFormatError, ValueError, TypeError):
                continue
            with self.lock:
                imported = []
                for block in blocks:
                    if block.number < self.node.head.number + 1:
                        continue
                    if block.hash not in self.candidates and not self._import(block):
                        break
                    imported.append(block)
                if imported:
                    self.node.log("caught_up", first=imported[0].number,
                                  last=imported[-1].number, peer=peer.url)  # fmt: skip
                final = self.voter.finalized
                chain = [b.hash for b in imported if b.number <= final.number]
                if chain and imported[len(chain) - 1].hash == final.hash:
                    self._finalize(chain)  # our voter had finalized these before a crash
            if imported:
                self._fetch_certificate(peer)
            return

    def _fetch_certificate(self, peer: PeerSender) -> None:
        """Ask a peer for its last finality certificate (checked by our voter)."""
        try:
            encoded = peer.client.call("altrollup_getFinalityCertificate")
            certificate = decode_certificate(bytes.fromhex(str(encoded).removeprefix("0x")))
        except (RpcTransportError, RpcCallError, ValueError, TypeError):
            return
        with self.lock:
            self._handle(CertificateReceived(certificate, self.node.clock_ms()))

    def on_vote(self, params: Any) -> bool:
        (encoded,) = positional_params(params, 1, 1)
        try:
            vote = SignedVote.decode(bytes.fromhex(str(encoded).removeprefix("0x")))
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, f"invalid vote: {exc}") from None
        with self.lock:
            self._handle(VoteReceived(vote, self.node.clock_ms()))
            target = vote.vote.block_hash
            if (
                vote.vote.block_number > self.node.head.number
                and target not in self.candidates
                and self.voter.state.tree.blocks.get(target) is None
            ):
                self._wanted.add(target)  # a block we missed: the sync thread fetches it
                self._sync_now.set()
        return True

    def on_certificate(self, params: Any) -> bool:
        (encoded,) = positional_params(params, 1, 1)
        try:
            certificate = decode_certificate(bytes.fromhex(str(encoded).removeprefix("0x")))
        except ValueError as exc:
            raise RpcError(INVALID_PARAMS, f"invalid certificate: {exc}") from None
        with self.lock:
            self._handle(CertificateReceived(certificate, self.node.clock_ms()))
        return True

    def on_get_candidate(self, params: Any) -> dict[str, Any] | None:
        (value,) = positional_params(params, 1, 1)
        try:
            block_hash = bytes.fromhex(str(value).removeprefix("0x"))
        except ValueError:
            raise RpcError(INVALID_PARAMS, "invalid argument 0: invalid hex string") from None
        with self.lock:
            executed = self.candidates.get(block_hash)
        if executed is not None:
            return executed.block.to_json()
        block = self.node.chain.block_by_hash(block_hash)
        return None if block is None else block.to_json()

    def on_get_equivocations(self, params: Any) -> list[dict[str, Any]]:
        """``altrollup_getEquivocations()``: every equivocation this producer detected
        (offender address, round, when), oldest first; the evidence itself is in the log."""
        positional_params(params, 0, 0)
        with self.lock:
            return list(self._equivocation_reports)

    def on_get_votes(self, params: Any) -> list[str]:
        """Every vote we hold for one round (catch-up of a voter whose round lags)."""
        (value,) = positional_params(params, 1, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RpcError(INVALID_PARAMS, "invalid argument 0: expected a round number")
        with self.lock:
            held = self.voter.state.rounds.get(value)
            return [] if held is None else [v.encode().hex() for v in all_votes(held)]

    def catch_up_rounds(self) -> None:
        """A voter that lags in rounds (it started late or was down) asks a peer that is
        ahead for the votes of its two latest rounds: once a later round is completable
        from them, our voter jumps there (the votes are signed, so checked here)."""
        with self.lock:
            mine = self.voter.round
        for peer in self.peers:
            try:
                status = peer.client.call("altrollup_nodeStatus")
                theirs = int(status["consensus"]["round"])
                if theirs <= mine + 1:
                    continue
                encoded = []
                for round_number in (theirs - 2, theirs - 1):
                    encoded += peer.client.call("altrollup_grandpaVotes", round_number)
                votes = [SignedVote.decode(bytes.fromhex(v)) for v in encoded]
            except (RpcTransportError, RpcCallError, KeyError, TypeError, ValueError):
                continue
            with self.lock:
                for vote in votes:
                    self._handle(VoteReceived(vote, self.node.clock_ms()))
                caught = self.voter.round
            if caught > mine:
                self.node.log("rounds_caught_up", before=mine, after=caught, peer=peer.url)
            return

    def on_get_certificate(self, params: Any) -> str | None:
        """The certificate proving our last finalized block (``None`` before any)."""
        positional_params(params, 0, 0)
        with self.lock:
            certificate = self.voter.state.certificate
        return None if certificate is None else "0x" + encode_certificate(certificate).hex()

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "voterIndex": self.index,
                "round": self.voter.round,
                "finalized": self.voter.finalized.number,
                "candidates": len(self.candidates),
                "attempt": self.attempt(),
            }
