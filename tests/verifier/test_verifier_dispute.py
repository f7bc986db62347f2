"""The challenger agent (docs/challenger.md) with the verifier's EVM view
(``agents.verifier.trace``) on a Rollup whose game uses the ``EvmStepVerifier``: our pack
is judged valid, a liar's pack whose *intermediate* root is wrong (its final root is right)
is judged invalid at the first wrong root read from its DA payload, a game is opened
there; the liar does not answer, loses on time, its pack is invalidated, and our verifier,
blocked meanwhile, posts the right blocks on the reverted head. The trace's first and last
states are the ones the on-chain trace binding computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from verifier_env import ChainEnv, L2Chain, LogLines, advance, deploy, make_verifier

from agents.challenger import store as challenger_db
from agents.challenger.agent import AgentConfig, build_agent, pack_view
from agents.challenger.agent import tick as challenger_tick
from agents.challenger.judge import load_trace_factory
from agents.dispute.game import read_config
from agents.evm.proof_abi import deploy_evm_step_verifier
from agents.l1.rollup import Tier, Vote, build_pack
from agents.rpc.jsonlog import JsonLog
from agents.verifier.da import encode_pack_data
from agents.verifier.follower import RpcBlockSource
from agents.verifier.service import tick
from agents.verifier.trace import claimed_roots_source, evm_trace_factory

pytestmark = pytest.mark.xdist_group("verifier")


def test_challenger_with_the_verifier_view_defeats_a_wrong_intermediate_root(
    chain: ChainEnv, l2: L2Chain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_verifier = deploy_evm_step_verifier(chain.client, chain.owner)
    deployed = deploy(chain, l2.blocks[0].state_root, step_verifier=step_verifier.address)
    rollup = deployed.rollup
    assert l2.server is not None
    verifier, vlog = make_verifier(
        chain, rollup.address, chain.verifiers[0], tmp_path / "v",
        RpcBlockSource.connect(l2.server.url), max_blocks=1, max_wait=0,
    )  # fmt: skip
    l2.add_block(2)
    block2 = l2.add_block(2)
    block3 = l2.add_block(3)
    l2.add_block(1)
    tick(verifier)
    ours = rollup.head()
    assert rollup.pack(ours).last_block == 1

    # the liar posts blocks 2..3 with r_3 wrong (the first root of block 3); the final
    # root and the pre-state are right, and its DA payload carries the claimed roots
    liar_block3 = l2.tamper(3)
    del l2.served[3]
    claimed = list(block2.tx_state_roots) + list(liar_block3.tx_state_roots)
    head_id, head_root, _ = rollup.head_state()
    liar_pack = build_pack(head_id, 2, 3, claimed, head_root)
    assert liar_pack.header.state_root == block3.state_root
    data = encode_pack_data([block2, liar_block3])
    wrong = rollup.post_pack(chain.verifiers[2], liar_pack, data).pack_id
    tick(verifier)
    assert rollup.vote_of(wrong, chain.verifiers[0].address) is Vote.REJECTED
    assert any('"posting-blocked"' in line for line in vlog.lines)

    game_config = read_config(deployed.game)
    factory = evm_trace_factory(
        game_config=game_config,
        rollup=rollup,
        store=verifier.store,
        state=verifier.follower.state,
    )
    lines = LogLines()
    agent = build_agent(
        chain.client,
        rollup.address,
        chain.challenger,
        challenger_db.open_store(tmp_path / "challenger"),
        factory,
        config=AgentConfig(challenge=True, poll_interval=0),
        log=JsonLog("challenger", stream=lines),  # type: ignore[arg-type]
        roots_source=claimed_roots_source,
    )
    challenger_tick(agent)
    judged = {
        r["pack"]: r
        for r in (json.loads(line) for line in lines.lines)
        if r["event"] == "pack-judged"
    }
    assert judged[ours]["verdict"] == "valid"
    assert judged[wrong]["verdict"] == "invalid" and "r_3" in judged[wrong]["reason"]
    opened = [json.loads(line) for line in lines.lines if '"game-opened"' in line]
    assert len(opened) == 1 and opened[0]["pack"] == wrong

    # the verifier's trace binds to the on-chain EVM trace binding at both ends
    provider = factory(pack_view(agent, ours))
    assert provider is not None and provider.tx_count == 2
    context = rollup.trace_context_of(ours)
    binding = step_verifier.functions
    end = 1 << game_config.step_depth
    for index in (1, 2):
        start = binding.traceStart(context, index, provider.tx_root(index - 1)).call()
        assert provider.step_state(index, 0) == bytes(start)
        final = binding.traceEnd(context, index, provider.tx_root(index)).call()
        assert provider.step_state(index, end) == bytes(final)

    # the liar never answers: its clock runs out, the challenger resolves and invalidates
    advance(chain.client, game_config.defender_clock + 1)
    challenger_tick(agent)
    challenger_tick(agent)
    assert rollup.tier_of(wrong) is Tier.INVALID and rollup.head() == ours
    for _ in range(3):
        tick(verifier)
    assert rollup.pack(rollup.head()).last_block == 4
    assert rollup.pack(rollup.head()).poster == chain.verifiers[0].address
    assert rollup.pack(rollup.pack_at_height(3)).state_root == block3.state_root

    # the plug-in as `altrollup challenger run --trace` loads it: from the state dir
    expected = provider.tx_roots()
    verifier.follower.state.close()
    verifier.store.close()
    monkeypatch.setenv("ALTROLLUP_VERIFIER_STATE_DIR", str(tmp_path / "v"))
    loaded = load_trace_factory(
        "agents.verifier.trace:evm_trace_factory",
        client=chain.client,
        rollup=rollup,
        game_config=game_config,
    )
    reopened = loaded(pack_view(agent, ours))
    assert reopened is not None and reopened.tx_roots() == expected
    assert reopened.step_state(2, end) == provider.step_state(2, end)
    monkeypatch.delenv("ALTROLLUP_VERIFIER_STATE_DIR")
    with pytest.raises(ValueError, match="ALTROLLUP_VERIFIER_STATE_DIR"):
        load_trace_factory(
            "agents.verifier.trace:evm_trace_factory", client=chain.client, rollup=rollup,
            game_config=game_config,
        )  # fmt: skip
