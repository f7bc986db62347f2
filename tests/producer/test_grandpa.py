"""Unit tests of the GRANDPA finality gadget, one rule at a time."""

from __future__ import annotations

import time

import pytest
from eth_account import Account

from agents.producer.finality.messages import (
    VOTE_DOMAIN,
    Block,
    FinalityCertificate,
    Phase,
    SignedVote,
    Vote,
    VoterSet,
    decode_certificate,
    decode_evidence,
    encode_certificate,
    encode_evidence,
    genesis_block,
    keccak,
    make_evidence,
    sign_vote,
    verify_certificate,
    verify_evidence,
    verify_signed_vote,
    vote_digest,
    vote_message,
)
from agents.producer.finality.rounds import RoundVotes, add_vote, ghost, summarize, tally
from agents.producer.finality.tree import BlockTree, best_head, import_block, set_base
from agents.producer.grandpa import (
    BlockImported,
    BroadcastCertificate,
    BroadcastVote,
    CertificateReceived,
    EquivocationFound,
    Finalized,
    GrandpaConfig,
    PersistState,
    ScheduleTimer,
    TimerFired,
    Voter,
    VoteReceived,
)
from agents.producer.grandpa_sim import SimulationConfig, make_voter_set, node_key, run_simulation

GENESIS = genesis_block()
CONFIG = GrandpaConfig(gossip_duration=10, rebroadcast_interval=100_000)
KEYS = [node_key(0, i) for i in range(4)]
VOTERS = make_voter_set(4)


def chain(parent: Block, length: int, tag: bytes = b"a") -> list[Block]:
    blocks = []
    for i in range(length):
        parent = Block(parent.hash, parent.number + 1, keccak(tag + bytes([i])))
        blocks.append(parent)
    return blocks


def signed(voter: int, round_number: int, phase: Phase, block: Block) -> SignedVote:
    vote = Vote(round_number, phase, block.hash, block.number)
    return sign_vote(vote, VOTERS, voter, KEYS[voter])


def votes_of(actions: list, kind: type = BroadcastVote) -> list:
    return [a for a in actions if isinstance(a, kind)]


def fresh_voter(blocks: list[Block], index: int = 0) -> Voter:
    voter = Voter.create(VOTERS, GENESIS, KEYS[index] if index >= 0 else None, 0, CONFIG)
    for block in blocks:
        voter.handle(BlockImported(block, 0))
    return voter


# --- wire formats ---------------------------------------------------------------------------


def test_block_hash_commits_to_parent_number_and_body() -> None:
    block = Block(GENESIS.hash, 1, b"\x07" * 32)
    assert block.hash == keccak(GENESIS.hash + (1).to_bytes(8, "big") + b"\x07" * 32)
    assert Block.decode(block.encode()) == block and Block.decode(block.encode()).hash == block.hash


def test_vote_message_layout_is_fixed_and_ecrecover_compatible() -> None:
    block = chain(GENESIS, 1)[0]
    vote = Vote(7, Phase.PRECOMMIT, block.hash, block.number)
    message = vote_message(vote, 901, 3)
    assert len(message) == 97
    assert message[:32] == VOTE_DOMAIN
    assert message[32:40] == (901).to_bytes(8, "big")
    assert message[40:48] == (3).to_bytes(8, "big")
    assert message[48:56] == (7).to_bytes(8, "big")
    assert message[56] == 2
    assert message[57:89] == block.hash and message[89:97] == (1).to_bytes(8, "big")
    sv = signed(1, 7, Phase.PRECOMMIT, block)
    assert sv.signature[64] in (27, 28)
    digest = vote_digest(vote, VOTERS.chain_id, VOTERS.set_id)
    recovered = Account._recover_hash(digest, signature=sv.signature)
    assert bytes.fromhex(recovered[2:]) == VOTERS.voters[1].address


def test_signed_vote_roundtrip_and_rejections() -> None:
    block = chain(GENESIS, 1)[0]
    sv = signed(2, 1, Phase.PREVOTE, block)
    assert SignedVote.decode(sv.encode()) == sv and len(sv.encode()) == 124
    assert verify_signed_vote(sv, VOTERS)
    other_set = VoterSet(VOTERS.chain_id, VOTERS.set_id + 1, VOTERS.voters)
    assert not verify_signed_vote(sv, other_set)
    other_chain = VoterSet(VOTERS.chain_id + 1, VOTERS.set_id, VOTERS.voters)
    assert not verify_signed_vote(sv, other_chain)
    assert not verify_signed_vote(SignedVote(sv.vote, sv.set_id, 3, sv.signature), VOTERS)
    assert not verify_signed_vote(SignedVote(sv.vote, sv.set_id, 9, sv.signature), VOTERS)
    moved = Vote(1, Phase.PRECOMMIT, block.hash, block.number)
    assert not verify_signed_vote(SignedVote(moved, sv.set_id, 2, sv.signature), VOTERS)


def test_voter_set_supermajority_by_weight() -> None:
    assert [VOTERS.is_supermajority(w) for w in range(5)] == [False, False, False, True, True]
    weighted = VoterSet.of(1, 0, [bytes([i]) * 20 for i in range(3)], [5, 3, 2])
    assert weighted.max_faulty_weight == 3
    assert not weighted.is_supermajority(5 + 1) and weighted.is_supermajority(5 + 2)
    with pytest.raises(ValueError):
        VoterSet.of(1, 0, [b"\x01" * 20, b"\x01" * 20])


# --- tree and tallies -----------------------------------------------------------------------


def test_tree_attaches_orphans_picks_best_head_and_prunes_on_finality() -> None:
    a = chain(GENESIS, 3, b"a")
    b = chain(GENESIS, 2, b"b")
    tree = BlockTree(GENESIS)
    assert import_block(tree, a[2]) == [] and import_block(tree, a[1]) == []
    assert {x.hash for x in import_block(tree, a[0])} == {x.hash for x in a}
    for block in b:
        import_block(tree, block)
    assert best_head(tree, GENESIS.hash) == a[2].hash
    assert best_head(tree, b[0].hash) == b[1].hash
    set_base(tree, a[0].hash)
    assert set(tree.blocks) == {a[0].hash, a[1].hash, a[2].hash}


def test_ghost_counts_equivocators_for_every_block() -> None:
    a = chain(GENESIS, 2, b"a")
    b = chain(GENESIS, 1, b"b")
    tree = BlockTree(GENESIS)
    for block in a + b:
        import_block(tree, block)
    round_votes = RoundVotes(1)
    add_vote(round_votes, signed(0, 1, Phase.PREVOTE, a[1]))
    add_vote(round_votes, signed(1, 1, Phase.PREVOTE, a[0]))
    add_vote(round_votes, signed(2, 1, Phase.PREVOTE, b[0]))
    assert ghost(tree, tally(tree, round_votes.prevotes, VOTERS), VOTERS) == GENESIS.hash
    add_vote(round_votes, signed(3, 1, Phase.PREVOTE, b[0]))
    add_vote(round_votes, signed(3, 1, Phase.PREVOTE, a[1]))  # equivocation
    counts = tally(tree, round_votes.prevotes, VOTERS)
    assert counts.equivocator_weight == 1
    assert ghost(tree, counts, VOTERS) == a[0].hash


def test_estimate_and_completability() -> None:
    a = chain(GENESIS, 2, b"a")
    tree = BlockTree(GENESIS)
    for block in a:
        import_block(tree, block)
    round_votes = RoundVotes(1)
    for voter in range(4):
        add_vote(round_votes, signed(voter, 1, Phase.PREVOTE, a[1]))
    summary = summarize(tree, round_votes, VOTERS)
    assert summary.prevote_ghost == a[1].hash and summary.estimate == a[1].hash
    assert not summary.completable  # no precommits yet
    add_vote(round_votes, signed(0, 1, Phase.PRECOMMIT, a[1]))
    add_vote(round_votes, signed(1, 1, Phase.PRECOMMIT, GENESIS))
    assert summarize(tree, round_votes, VOTERS).estimate == a[1].hash
    add_vote(round_votes, signed(2, 1, Phase.PRECOMMIT, GENESIS))
    summary = summarize(tree, round_votes, VOTERS)
    # a[1] and a[0] can now reach at most 2 of 4: the estimate falls back to genesis
    assert summary.estimate == GENESIS.hash and summary.completable
    assert summary.finality_target == GENESIS.hash


# --- the voter ------------------------------------------------------------------------------


def test_prevote_waits_for_two_t_then_votes_best_head_and_persists_first() -> None:
    a = chain(GENESIS, 2)
    voter = fresh_voter(a)
    assert votes_of(voter.handle(TimerFired(19))) == []
    actions = voter.handle(TimerFired(20))
    assert isinstance(actions[0], PersistState)
    (broadcast,) = votes_of(actions)
    assert broadcast.vote.vote == Vote(1, Phase.PREVOTE, a[1].hash, 2)
    assert broadcast.vote.signature.hex() in actions[0].snapshot.decode()
    assert any(isinstance(x, ScheduleTimer) and x.at == 40 for x in actions)


def test_precommit_is_prevote_ghost_once_everyone_prevoted_then_finality_with_certificate() -> None:
    a = chain(GENESIS, 3)
    voter = fresh_voter(a)
    voter.handle(TimerFired(20))
    for other, block in ((1, a[2]), (2, a[1])):
        assert (
            votes_of(voter.handle(VoteReceived(signed(other, 1, Phase.PREVOTE, block), 21))) == []
        )
    actions = voter.handle(VoteReceived(signed(3, 1, Phase.PREVOTE, a[1]), 22))
    (precommit,) = votes_of(actions)
    assert precommit.vote.vote == Vote(1, Phase.PRECOMMIT, a[1].hash, 2)  # the GHOST, not a[2]
    voter.handle(VoteReceived(signed(1, 1, Phase.PRECOMMIT, a[2]), 23))
    actions = voter.handle(VoteReceived(signed(2, 1, Phase.PRECOMMIT, a[1]), 24))
    (final,) = votes_of(actions, Finalized)
    assert final.block == a[1] and final.chain == (a[0], a[1])  # finalizes the chain
    assert voter.finalized == a[1]
    cert = final.certificate
    assert verify_certificate(cert, VOTERS)
    assert [p.voter_index for p in cert.precommits] == [0, 1, 2]
    assert cert.ancestry == (a[2],)  # links voter 1's precommit for a[2] back to a[1]
    assert votes_of(actions, BroadcastCertificate)[0].certificate == cert
    assert voter.round == 2  # round 1 became completable after our precommit


def test_prevote_follows_best_chain_containing_previous_estimate() -> None:
    fork_a = chain(GENESIS, 2, b"a")
    fork_b = chain(GENESIS, 3, b"b")
    voter = fresh_voter(fork_a + fork_b)
    (prevote,) = votes_of(voter.handle(TimerFired(20)))
    assert prevote.vote.vote.block_hash == fork_b[2].hash  # longest chain in round 1
    for other in (1, 2, 3):
        actions = voter.handle(VoteReceived(signed(other, 1, Phase.PREVOTE, fork_a[0]), 21))
    assert votes_of(actions)[0].vote.vote.block_hash == fork_a[0].hash
    voter.handle(VoteReceived(signed(1, 1, Phase.PRECOMMIT, fork_a[0]), 22))
    voter.handle(VoteReceived(signed(2, 1, Phase.PRECOMMIT, GENESIS), 22))
    assert voter.round == 2 and voter.finalized == GENESIS
    (prevote,) = votes_of(voter.handle(TimerFired(42)))
    assert prevote.vote.vote == Vote(2, Phase.PREVOTE, fork_a[1].hash, 2)  # not fork b's head


def test_precommit_waits_while_ghost_is_not_below_previous_estimate() -> None:
    fork_a = chain(GENESIS, 1, b"a")
    fork_b = chain(GENESIS, 1, b"b")
    voter = fresh_voter(fork_a + fork_b)
    voter.handle(TimerFired(20))
    for other in (1, 2, 3):
        voter.handle(VoteReceived(signed(other, 1, Phase.PREVOTE, fork_a[0]), 21))
    voter.handle(VoteReceived(signed(1, 1, Phase.PRECOMMIT, fork_a[0]), 22))
    voter.handle(VoteReceived(signed(2, 1, Phase.PRECOMMIT, GENESIS), 22))
    assert voter.round == 2
    voter.handle(TimerFired(42))  # prevotes fork_a[0]: the round 1 estimate
    for other in (1, 2, 3):  # a supermajority prevotes the other fork
        voter.handle(VoteReceived(signed(other, 2, Phase.PREVOTE, fork_b[0]), 43))
    assert votes_of(voter.handle(TimerFired(100))) == []  # fork_b[0] is not >= estimate


def test_equivocation_is_reported_once_with_valid_evidence() -> None:
    a = chain(GENESIS, 2)
    voter = fresh_voter(a)
    first = signed(3, 1, Phase.PREVOTE, a[0])
    second = signed(3, 1, Phase.PREVOTE, a[1])
    assert votes_of(voter.handle(VoteReceived(first, 1)), EquivocationFound) == []
    (found,) = votes_of(voter.handle(VoteReceived(second, 2)), EquivocationFound)
    third = signed(3, 1, Phase.PREVOTE, GENESIS)
    assert votes_of(voter.handle(VoteReceived(third, 3)), EquivocationFound) == []
    evidence = found.evidence
    assert verify_evidence(evidence, VOTERS) and evidence.offender == VOTERS.voters[3].address
    assert make_evidence(second, first, VOTERS) == evidence  # canonical order
    encoded = encode_evidence(evidence)
    assert len(encoded) == 256 and decode_evidence(encoded) == evidence
    for voted_hash, number, signature in (evidence.first, evidence.second):
        digest = vote_digest(Vote(1, Phase.PREVOTE, voted_hash, number), 901, 0)
        assert bytes.fromhex(Account._recover_hash(digest, signature=signature)[2:]) == (
            evidence.offender
        )


def test_tampered_evidence_never_verifies() -> None:
    a = chain(GENESIS, 2)
    evidence = make_evidence(
        signed(1, 4, Phase.PRECOMMIT, a[0]), signed(1, 4, Phase.PRECOMMIT, a[1]), VOTERS
    )
    encoded = encode_evidence(evidence)
    for position in range(len(encoded)):
        tampered = bytearray(encoded)
        tampered[position] ^= 0x01
        try:
            decoded = decode_evidence(bytes(tampered))
        except ValueError:
            continue
        assert not verify_evidence(decoded, VOTERS), position
    same_vote = make_evidence(
        signed(1, 4, Phase.PRECOMMIT, a[0]), signed(1, 4, Phase.PRECOMMIT, a[0]), VOTERS
    )
    assert not verify_evidence(same_vote)


def test_invalid_votes_are_ignored() -> None:
    a = chain(GENESIS, 1)
    voter = fresh_voter(a)
    good = signed(1, 1, Phase.PREVOTE, a[0])
    forged = SignedVote(good.vote, good.set_id, 2, good.signature)
    wrong_set = SignedVote(good.vote, 5, 1, good.signature)
    for vote in (forged, wrong_set):
        voter.handle(VoteReceived(vote, 1))
    assert voter.state.rounds.get(1) is None or voter.state.rounds[1].prevotes.first == {}


def test_restart_from_snapshot_resends_the_same_vote_never_another() -> None:
    a = chain(GENESIS, 1, b"a")
    voter = fresh_voter(a)
    actions = voter.handle(TimerFired(20))
    (persist,) = votes_of(actions, PersistState)
    snapshot = persist.snapshot
    (original,) = votes_of(actions)
    restored = Voter.restore(snapshot, VOTERS, KEYS[0], CONFIG)
    longer = chain(GENESIS, 3, b"b")  # after the restart a better chain appears
    for block in longer:
        restored.handle(BlockImported(block, 30))
    assert restored.round == 1
    actions = restored.handle(TimerFired(100_000))  # the rebroadcast timer
    assert votes_of(actions) and all(v.vote == original.vote for v in votes_of(actions))
    assert Voter.restore(restored.snapshot(), VOTERS, KEYS[0]).snapshot() == restored.snapshot()


def test_certificate_from_a_peer_finalizes_once_the_block_is_known() -> None:
    a = chain(GENESIS, 2)
    precommits = [signed(i, 3, Phase.PRECOMMIT, a[1]) for i in range(3)]
    cert = certificate_for(precommits, a[1])
    observer = Voter.create(VOTERS, GENESIS, None, 0, CONFIG)
    assert votes_of(observer.handle(CertificateReceived(cert, 1)), Finalized) == []
    observer.handle(BlockImported(a[0], 2))
    (final,) = votes_of(observer.handle(BlockImported(a[1], 3)), Finalized)
    assert final.block == a[1] and final.chain == (a[0], a[1])
    assert votes_of(observer.handle(TimerFired(50))) == []  # observers never vote


def certificate_for(
    precommits: list[SignedVote], target: Block, ancestry=()
) -> FinalityCertificate:
    from agents.producer.finality.messages import CertificateVote

    return FinalityCertificate(
        VOTERS.chain_id,
        VOTERS.set_id,
        precommits[0].vote.round,
        target.hash,
        target.number,
        tuple(
            CertificateVote(p.voter_index, p.vote.block_hash, p.vote.block_number, p.signature)
            for p in precommits
        ),
        tuple(ancestry),
    )


def test_certificate_checks() -> None:
    a = chain(GENESIS, 3)
    b = chain(GENESIS, 3, b"b")
    good = certificate_for(
        [
            signed(0, 2, Phase.PRECOMMIT, a[0]),
            signed(1, 2, Phase.PRECOMMIT, a[2]),
            signed(3, 2, Phase.PRECOMMIT, a[1]),
        ],
        a[0],
        [a[1], a[2]],
    )
    assert verify_certificate(good, VOTERS)
    encoded = encode_certificate(good)
    assert decode_certificate(encoded) == good
    assert len(encoded) == 1 + 24 + 40 + 2 + (3 + 65) + 2 * (3 + 40 + 65) + 2 + 2 * 72
    two = certificate_for(
        [signed(0, 2, Phase.PRECOMMIT, a[0]), signed(1, 2, Phase.PRECOMMIT, a[0])], a[0]
    )
    assert not verify_certificate(two, VOTERS)  # 2 of 4 is not > 2/3
    duplicate = certificate_for([signed(0, 2, Phase.PRECOMMIT, a[0])] * 3, a[0])
    assert not verify_certificate(duplicate, VOTERS)
    prevotes = certificate_for([signed(i, 2, Phase.PREVOTE, a[0]) for i in range(3)], a[0])
    assert not verify_certificate(prevotes, VOTERS)
    other_fork = certificate_for(
        [signed(i, 2, Phase.PRECOMMIT, b[1]) for i in range(3)], a[0], [b[1]]
    )
    assert not verify_certificate(other_fork, VOTERS)
    unused = certificate_for([signed(i, 2, Phase.PRECOMMIT, a[0]) for i in range(3)], a[0], [a[1]])
    assert not verify_certificate(unused, VOTERS)
    next_set = VoterSet(VOTERS.chain_id, 1, VOTERS.voters)
    assert not verify_certificate(good, next_set)
    for position in range(len(encoded)):
        tampered = bytearray(encoded)
        tampered[position] ^= 0x01
        try:
            decoded = decode_certificate(bytes(tampered))
        except ValueError:
            continue
        assert not verify_certificate(decoded, VOTERS), position


def test_the_voter_never_reads_the_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> float:
        raise AssertionError("the voter read the wall clock")

    result_before = run_simulation(SimulationConfig(voters=4, seed=3, duration=600))
    monkeypatch.setattr(time, "time", no_clock)
    monkeypatch.setattr(time, "monotonic", no_clock)
    monkeypatch.setattr(time, "perf_counter", no_clock)
    result = run_simulation(SimulationConfig(voters=4, seed=3, duration=600))
    assert result.finalizations  # and the run is deterministic
    assert [(r.node, r.time, r.block) for r in result.finalizations] == [
        (r.node, r.time, r.block) for r in result_before.finalizations
    ]


def test_catch_up_jumps_to_the_round_after_a_completable_later_round() -> None:
    a = chain(GENESIS, 2)
    voter = fresh_voter(a)
    for other in (1, 2, 3):
        voter.handle(VoteReceived(signed(other, 5, Phase.PREVOTE, a[1]), 1))
    assert voter.round == 1
    for other in (1, 2):
        voter.handle(VoteReceived(signed(other, 5, Phase.PRECOMMIT, a[1]), 2))
    assert voter.round == 1  # 2 of 4 precommits: round 5 not completable
    actions = voter.handle(VoteReceived(signed(3, 5, Phase.PRECOMMIT, a[1]), 3))
    assert voter.round == 6 and voter.finalized == a[1]
    assert isinstance(actions[0], PersistState)
    assert votes_of(actions) == []  # it skipped rounds 1..5 without voting in them


def test_weighted_voter_set_finalizes_by_weight() -> None:
    weighted = VoterSet.of(7, 0, [VOTERS.voters[i].address for i in range(3)], [5, 1, 1])
    a = chain(GENESIS, 1)
    voter = Voter.create(weighted, GENESIS, KEYS[0], 0, CONFIG)
    voter.handle(BlockImported(a[0], 0))
    # weight 5 of 7 is a supermajority alone: its prevote settles the GHOST, it precommits
    # at once, and that precommit finalizes
    actions = voter.handle(TimerFired(20))
    (final,) = votes_of(actions, Finalized)
    assert final.block == a[0] and verify_certificate(final.certificate, weighted)
    assert len(final.certificate.precommits) == 1


def test_restore_with_a_restarted_clock_rearms_the_round_timers() -> None:
    a = chain(GENESIS, 1)
    voter = fresh_voter(a)
    voter.handle(TimerFired(1_000_000))
    restored = Voter.restore(voter.snapshot(), VOTERS, KEYS[0], CONFIG, now=5)
    timers = votes_of(restored.handle(TimerFired(5)), ScheduleTimer)
    assert timers and timers[-1].at < 1_000
