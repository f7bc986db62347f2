"""The typed registry bindings against a real anvil: deploy, stake, request, select."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account

from agents.l1 import vrf
from agents.l1.client import L1Client, TransactionReverted
from agents.l1.registries import (
    ETH,
    RollupStatus,
    SettlementContracts,
    deploy_settlement,
    mint,
)
from agents.l1.rollup_request import RequestError, parse_request

ETHER = 10**18


def _request(min_seq: int, max_seq: int, tokens: list[tuple[str, str]]) -> dict[str, object]:
    return {
        "execution_layer_req": {
            "settlement_layer": "ethereum",
            "da_layer": "ethereum-calldata",
            "vm": "evm",
            "type": "optimistic",
            "purpose": "app-specific",
            "kind": "flash",
            "nb_sequencers": {"min": min_seq, "max": max_seq},
            "allowed_tokens": [{"sym": symbol} for symbol, _ in tokens],
            "min_stake_per_seq": [{"sym": symbol, "val": val} for symbol, val in tokens],
        }
    }


@pytest.fixture(scope="module")
def settlement(l1: L1Client, funded_keys: list[str]) -> SettlementContracts:
    return deploy_settlement(l1, Account.from_key(funded_keys[0]), ("ALT",))


def test_select_sequencers_end_to_end(
    l1: L1Client, funded_keys: list[str], settlement: SettlementContracts
) -> None:
    owner = Account.from_key(funded_keys[0])
    registry = settlement.sequencer_registry
    operators = [Account.from_key(key) for key in funded_keys[1:6]]
    eth_stakes = [20, 5, 15, 40, 3]  # operators 1 and 4 are below the 10 ETH minimum
    for index, (operator, amount) in enumerate(zip(operators, eth_stakes, strict=True)):
        signing_key = operator._key_obj.public_key.to_compressed_bytes()
        registry.register(operator, f"http://127.0.0.1:{9000 + index}", signing_key)
        registry.stake(operator, ETH, amount * ETHER)
    # One operator qualifies only through ALT, staked partly by a delegator.
    alt = settlement.tokens["ALT"]
    mint(l1, owner, alt, operators[1].address, 80 * ETHER)
    mint(l1, owner, alt, funded_keys_holder(funded_keys).address, 40 * ETHER)
    registry.stake(operators[1], alt, 80 * ETHER)
    registry.delegate(funded_keys_holder(funded_keys), operators[1].address, alt, 40 * ETHER)
    assert registry.active_stake(operators[1].address, alt) == pytest.approx(120 * ETHER, abs=2)

    secret, public = vrf.keygen(b"test validator")
    validator = Account.from_key(funded_keys[9])
    elr = settlement.execution_layer_registry
    elr.register_validator(owner, validator.address, public)

    request = parse_request(_request(3, 4, [("ETH", "10"), ("ALT", "100")]))
    rollup_id, chain_id = elr.request(owner, request, settlement.tokens)
    assert chain_id == 900_000 + rollup_id
    assert elr.info(rollup_id).status is RollupStatus.REQUESTED

    chosen = elr.select(validator, secret, rollup_id)
    info = elr.info(rollup_id)
    assert info.status is RollupStatus.ACTIVE
    # Operator 1 qualifies through ALT (own + delegated); operator 4 does not qualify.
    assert sorted(chosen) == sorted(operators[i].address for i in (0, 1, 2, 3))
    # The Python mirror of the sampling rule predicts the contract's choice.
    order = registry.operators()
    weights = [
        vrf.multi_token_weight(
            [registry.active_stake(op, token) for token in info.allowed_tokens], info.min_stakes
        )
        for op in order
    ]
    expected = [order[i] for i in vrf.weighted_sample(info.vrf_output, weights, 4)]
    assert chosen == expected


def funded_keys_holder(funded_keys: list[str]) -> Account:
    return Account.from_key(funded_keys[7])


def test_reverts_are_decoded(
    l1: L1Client, funded_keys: list[str], settlement: SettlementContracts
) -> None:
    newcomer = Account.from_key(funded_keys[8])
    registry = settlement.sequencer_registry
    key = newcomer._key_obj.public_key.to_compressed_bytes()
    registry.register(newcomer, "http://127.0.0.1:9999", key)
    with pytest.raises(TransactionReverted, match=r"AlreadyRegistered\(operator=0x"):
        registry.register(newcomer, "http://127.0.0.1:9999", key)
    with pytest.raises(TransactionReverted, match=r"InvalidEndpoint\(length=0\)"):
        registry.register(Account.from_key(funded_keys[6]), "", key)
    elr = settlement.execution_layer_registry
    owner = Account.from_key(funded_keys[0])
    with pytest.raises(TransactionReverted, match="UnknownRollup"):
        elr.info(12345)
    unsupported = dataclasses.replace(parse_request(_request(1, 1, [("ETH", "1")])), vm="wasm")
    with pytest.raises(TransactionReverted, match="UnsupportedVm"):
        elr.request(owner, unsupported, settlement.tokens)
    with pytest.raises(RequestError, match="no deployed token DOGE"):
        elr.request(owner, parse_request(_request(1, 1, [("DOGE", "1")])), settlement.tokens)
