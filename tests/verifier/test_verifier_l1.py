"""Verifiers on a real anvil with the real Rollup, DisputeGame and registries, following an
L2 chain made with the producer's ``execute_block`` and served over JSON-RPC: packs are
posted (calldata and EIP-4844 blobs), affirmed to tier 2 and finalized to tier 3; a
tampered block is refused; a wrong pack is rejected and nothing is built on it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from verifier_env import ChainEnv, L2Chain, advance, deploy, make_verifier

from agents.dispute import merkle
from agents.dispute.game import read_config
from agents.dispute.responder import Responder, l1_clock, open_game, send_move
from agents.dispute.solver import OpenGame, ResolveTimeout
from agents.l1.rollup import DaKind, Tier, Vote, build_pack, claim_id
from agents.verifier.da import decode_pack_data
from agents.verifier.follower import RpcBlockSource
from agents.verifier.service import build_next, local_chain, read_l1_state, send_pack, tick
from agents.verifier.store import PackStatus

pytestmark = pytest.mark.xdist_group("verifier")


def events(lines: list[str], name: str) -> list[dict[str, object]]:
    return [r for r in (json.loads(line) for line in lines) if r["event"] == name]


def test_two_verifiers_post_affirm_tier2_tier3(
    chain: ChainEnv, l2: L2Chain, tmp_path: Path
) -> None:
    deployed = deploy(chain, l2.blocks[0].state_root)
    rollup = deployed.rollup
    source = RpcBlockSource.connect(l2.server.url if l2.server else "")
    poster, poster_log = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v1", source, max_blocks=3
    )
    voter, voter_log = make_verifier(
        chain, rollup.address, chain.verifiers[1], tmp_path / "v2", source, post=False
    )
    for count in (2, 0, 3, 1, 1, 4):
        l2.add_block(count)
    tick(poster)  # follows 6 blocks, posts blocks 1..3 then waits (3 left < policy? no: 3)
    tick(poster)
    assert rollup.head_height() == 2
    first, second = rollup.pack_at_height(1), rollup.pack_at_height(2)
    assert rollup.pack(first).first_block == 1 and rollup.pack(first).last_block == 3
    assert rollup.pack(second).last_block == 6
    assert rollup.pack(first).tx_count == 5 and rollup.pack(second).tx_count == 6
    data = decode_pack_data(rollup.calldata_of(second))
    assert [b.hash for b in data.blocks] == [b.hash for b in l2.blocks[4:7]]
    assert rollup.tier_of(first) is Tier.POSTED

    tick(voter)
    assert rollup.vote_of(first, chain.verifiers[1].address) is Vote.AFFIRMED
    assert rollup.tier_of(first) is Tier.VERIFICATION_FINAL
    assert rollup.tier_of(second) is Tier.VERIFICATION_FINAL
    assert voter.finality.tier2_height() == 6 and voter.finality.tier3_height() == 0
    tick(poster)
    assert [r.status for r in poster.store.packs()] == [PackStatus.TIER2, PackStatus.TIER2]
    assert poster.finality.tier2_height() == 6

    advance(chain.client, 121)
    tick(voter)  # finalizes both packs
    assert rollup.finalized_height() == 2
    assert voter.finality.tier3_height() == 6
    tick(poster)
    assert [r.status for r in poster.store.packs()] == [PackStatus.TIER3, PackStatus.TIER3]
    assert poster.metrics.value("packs_posted_total", da="calldata") == 2
    assert voter.metrics.value("votes_total", vote="affirm") == 2
    assert len(events(voter_log.lines, "pack-affirmed")) == 2
    assert len(events(poster_log.lines, "pack-posted")) == 2
    assert all(e["data_bytes"] for e in events(poster_log.lines, "pack-posted"))


def test_blob_pack_is_posted_and_affirmed(chain: ChainEnv, l2: L2Chain, tmp_path: Path) -> None:
    deployed = deploy(chain, l2.blocks[0].state_root)
    rollup = deployed.rollup
    source = RpcBlockSource.connect(l2.server.url if l2.server else "")
    poster, poster_log = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v1", source,
        da=DaKind.BLOBS, max_blocks=2,
    )  # fmt: skip
    voter, _ = make_verifier(
        chain, rollup.address, chain.verifiers[1], tmp_path / "v2", source, post=False
    )
    l2.add_block(3)
    l2.add_block(2)
    tick(poster)
    pack_id = rollup.head()
    pack = rollup.pack(pack_id)
    assert pack.da_kind is DaKind.BLOBS and pack.tx_count == 5
    posted = events(poster_log.lines, "pack-posted")[0]
    assert posted["da"] == "blobs" and int(str(posted["blob_gas"])) == 131072
    tick(voter)
    assert rollup.vote_of(pack_id, chain.verifiers[1].address) is Vote.AFFIRMED
    assert rollup.tier_of(pack_id) is Tier.VERIFICATION_FINAL


def test_tampered_block_is_refused(chain: ChainEnv, l2: L2Chain, tmp_path: Path) -> None:
    deployed = deploy(chain, l2.blocks[0].state_root)
    rollup = deployed.rollup
    source = RpcBlockSource.connect(l2.server.url if l2.server else "")
    verifier, lines = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v1", source, max_blocks=2
    )
    l2.add_block(1)
    l2.add_block(2)
    l2.add_block(1)
    l2.add_block(1)
    l2.tamper(3)
    tick(verifier)
    tick(verifier)
    # blocks 1-2 are posted; block 3 is faulty, so blocks 3-4 are never posted
    assert rollup.head_height() == 1 and rollup.pack(rollup.head()).last_block == 2
    faulty = events(lines.lines, "block-faulty")
    assert len(faulty) == 1 and faulty[0]["block"] == 3
    assert "state root after transaction 0" in str(faulty[0]["problems"])
    assert verifier.metrics.value("faulty_blocks_total") == 1
    assert verifier.store.last_verified().number == 2  # type: ignore[union-attr]
    # a pack over the faulty block posted by someone else is rejected
    head_id, head_root, last = rollup.head_state()
    bad = l2.served[3]
    roots = list(bad.tx_state_roots) + list(l2.blocks[4].tx_state_roots)
    liar = chain.verifiers[2]
    rollup.post_pack(liar, build_pack(head_id, 3, 4, roots, head_root), b"liar data")
    tick(verifier)
    assert rollup.vote_of(rollup.head(), chain.verifiers[0].address) is Vote.REJECTED
    assert events(lines.lines, "posting-blocked")
    # the producer replaces the block: the verifier follows again
    del l2.served[3]
    tick(verifier)
    assert verifier.store.last_verified().number == 4  # type: ignore[union-attr]


def test_invalidated_pack_is_rebuilt_from_the_reverted_head(
    chain: ChainEnv, l2: L2Chain, tmp_path: Path
) -> None:
    """Our pack loses a game it does not defend (the defender's clock runs out); the
    verifier, refused by ``ParentDefeated`` when it posts the next block, invalidates it
    and posts the same range again from the reverted head: built -> posted ->
    invalidated, then a new row built -> posted ("rebuilt")."""
    deployed = deploy(chain, l2.blocks[0].state_root)
    rollup = deployed.rollup
    source = RpcBlockSource.connect(l2.server.url if l2.server else "")
    verifier, lines = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v1", source, max_blocks=2
    )
    l2.add_block(2)
    l2.add_block(2)
    tick(verifier)
    pack_id = rollup.head()
    roots = [r for b in l2.blocks[1:3] for r in b.tx_state_roots]
    config = read_config(deployed.game)
    responder = Responder(chain.client, deployed.game, chain.challenger, l1_clock(chain.client))
    opening = OpenGame(claim_id(pack_id), 4, roots[3], tuple(merkle.proof(roots, 3)), b"\x77" * 32)
    game_id, _ = open_game(responder, opening, config.challenger_bond)
    advance(chain.client, config.defender_clock + 1)
    send_move(responder, ResolveTimeout(game_id))
    assert rollup.head() == pack_id  # defeated, not invalidated yet

    # the next blocks cannot be posted on a defeated head: the verifier invalidates it
    l2.add_block(1)
    l2.add_block(1)
    tick(verifier)
    assert rollup.head() == 0 and rollup.tier_of(pack_id) is Tier.INVALID
    assert events(lines.lines, "pack-invalidated")[0]["pack"] == pack_id
    tick(verifier)
    rows = verifier.store.packs()
    assert [r.status for r in rows] == [
        PackStatus.INVALIDATED,
        PackStatus.SUPERSEDED,
        PackStatus.POSTED,
    ]
    assert (rows[2].first_block, rows[2].last_block) == (1, 2)
    rows = rows[::2]
    assert rows[1].l1_pack_id == rollup.head() != pack_id
    assert "invalidated" in rows[1].detail and str(pack_id) in rows[1].detail
    rebuilt = events(lines.lines, "pack-rebuilt")
    assert len(rebuilt) == 1 and rebuilt[0]["blocks"] == [1, 2]
    assert (
        rollup.pack(rollup.head()).tx_roots_commitment == rollup.pack(pack_id).tx_roots_commitment
    )


def test_two_posting_verifiers_race_and_the_loser_affirms(
    chain: ChainEnv, l2: L2Chain, tmp_path: Path
) -> None:
    """B builds a pack, A posts the same range first: B's pack is superseded before it is
    sent (the head is read again right before sending), and B affirms A's pack."""
    rollup = deploy(chain, l2.blocks[0].state_root).rollup
    source = RpcBlockSource.connect(l2.server.url if l2.server else "")
    a, _ = make_verifier(chain, rollup.address, chain.verifiers[0], tmp_path / "a", source)
    b, b_log = make_verifier(chain, rollup.address, chain.verifiers[1], tmp_path / "b", source)
    for count in (1, 2, 1):
        l2.add_block(count)
    b.follower.step(b.source)
    state = read_l1_state(b)
    row = build_next(b, state, local_chain(b, state))
    assert row is not None and (row.first_block, row.last_block) == (1, 3)
    tick(a)
    assert rollup.head_height() == 1
    nonce = chain.client.w3.eth.get_transaction_count(chain.verifiers[1].address)
    send_pack(b, row)
    assert b.store.pack(row.id).status is PackStatus.SUPERSEDED
    assert b.metrics.value("packs_superseded_total") == 1
    assert chain.client.w3.eth.get_transaction_count(chain.verifiers[1].address) == nonce
    tick(b)
    assert rollup.vote_of(rollup.head(), chain.verifiers[1].address) is Vote.AFFIRMED
    assert rollup.head_height() == 1 and events(b_log.lines, "pack-superseded")


def test_packs_are_split_to_fit_the_da_limit(chain: ChainEnv, l2: L2Chain, tmp_path: Path) -> None:
    rollup = deploy(chain, l2.blocks[0].state_root).rollup
    source = RpcBlockSource.connect(l2.server.url if l2.server else "")
    verifier, lines = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v", source, max_blocks=4,
        max_wait=0,
    )  # fmt: skip
    verifier.config = dataclasses.replace(verifier.config, max_calldata_bytes=900)
    for _ in range(4):
        l2.add_block(3)
    for _ in range(4):
        tick(verifier)
    posted = events(lines.lines, "pack-posted")
    assert len(posted) >= 2
    assert all(int(str(p["data_bytes"])) <= 900 for p in posted)
    ranges = [p["blocks"] for p in posted]
    assert ranges[0][0] == 1 and ranges[-1][1] == 4  # type: ignore[index]
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:], strict=False))  # type: ignore[index]
