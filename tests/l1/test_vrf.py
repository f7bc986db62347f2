"""ECVRF-SECP256K1-SHA256-TAI: Python prover/verifier, golden vectors, on-chain
verification (ECVRFHarness on a real anvil) and ExecutionLayerRegistry selection."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.exceptions import ContractCustomError, ContractLogicError

from agents.l1 import vrf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vrf_chain import ETHER, Stack, anvil_node, ensure_artifacts  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "vrf.json").read_text())

secret_keys = st.integers(min_value=1, max_value=vrf.N - 1)
alphas = st.binary(min_size=0, max_size=96)


def _pt(pair: list[str]) -> tuple[int, int]:
    return int(pair[0], 16), int(pair[1], 16)


def _selector(signature: str) -> str:
    return "0x" + vrf.keccak256(signature.encode())[:4].hex()


# ---------------------------------------------------------------------------------------
# pure Python
# ---------------------------------------------------------------------------------------


def test_generator_is_deterministic_and_file_is_fresh() -> None:
    spec = importlib.util.spec_from_file_location(
        "generate_vrf", ROOT / "tests/vectors/generate_vrf.py"
    )
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.render() == (ROOT / "tests/vectors/vrf.json").read_text()


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_golden_vector_python(vector: dict) -> None:
    sk = int(vector["sk"], 16)
    pk = vrf.public_key(sk)
    assert pk == _pt(vector["pk"])
    assert "0x" + vrf.point_to_string(pk).hex() == vector["pk_compressed"]
    alpha = bytes.fromhex(vector["alpha"][2:])
    h, ctr = vrf.encode_to_curve(pk, alpha)
    assert (h, ctr) == (_pt(vector["h"]), vector["h_ctr"])
    proof = vrf.prove(sk, alpha)
    assert "0x" + proof.to_bytes().hex() == vector["pi"]
    assert [hex(x) for x in proof.as_uint4()] == [hex(int(x, 16)) for x in vector["proof"]]
    beta = vrf.verify(pk, bytes.fromhex(vector["pi"][2:]), alpha)
    assert beta is not None and "0x" + beta.hex() == vector["beta"]
    w = vrf.fast_verify_params(pk, proof, alpha)
    assert w.u == _pt(vector["witness"]["u"]) and w.v == _pt(vector["witness"]["v"])
    assert w.s_h == _pt(vector["witness"]["sH"]) and w.c_gamma == _pt(vector["witness"]["cGamma"])


def test_curve_arithmetic_matches_coincurve() -> None:
    import coincurve

    for seed in range(5):
        sk, pk = vrf.keygen(b"cc-%d" % seed)
        raw = coincurve.PrivateKey(sk.to_bytes(32, "big")).public_key.format(compressed=False)
        assert pk == (int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big"))
    a = vrf.scalar_mult(5, vrf.G)
    b = vrf.scalar_mult(7, vrf.G)
    assert vrf.point_add(a, b) == vrf.scalar_mult(12, vrf.G)
    assert vrf.point_add(a, vrf.point_neg(a)) is None
    assert vrf.scalar_mult(vrf.N, vrf.G) is None


@settings(max_examples=40, deadline=None)
@given(sk=secret_keys, alpha=alphas)
def test_prove_verify_roundtrip(sk: int, alpha: bytes) -> None:
    pk = vrf.public_key(sk)
    proof = vrf.prove(sk, alpha)
    pi = proof.to_bytes()
    assert len(pi) == vrf.PROOF_LEN
    assert vrf.Proof.from_bytes(pi) == proof
    beta = vrf.verify(pk, pi, alpha)
    assert beta == vrf.proof_to_hash(proof) == vrf.vrf_output(sk, alpha)
    assert vrf.prove(sk, alpha) == proof  # deterministic (RFC 6979 nonce)
    h, _ = vrf.encode_to_curve(pk, alpha)
    assert vrf.is_on_curve(h) and h[1] % 2 == 0


@settings(max_examples=25, deadline=None)
@given(sk=secret_keys, other=secret_keys, alpha=alphas, flip=st.integers(0, 8 * vrf.PROOF_LEN - 1))
def test_python_rejects_wrong_key_message_tampering(
    sk: int, other: int, alpha: bytes, flip: int
) -> None:
    pk = vrf.public_key(sk)
    pi = vrf.prove(sk, alpha).to_bytes()
    if other != sk:
        assert vrf.verify(vrf.public_key(other), pi, alpha) is None
    assert vrf.verify(pk, pi, alpha + b"\x00") is None
    tampered = bytearray(pi)
    tampered[flip // 8] ^= 1 << (flip % 8)
    assert vrf.verify(pk, bytes(tampered), alpha) is None


def test_weight_rule_examples() -> None:
    mins = [100 * ETHER, 1000 * ETHER]
    assert vrf.multi_token_weight([250 * ETHER, 0], mins) == 25 * 10**17
    assert vrf.multi_token_weight([100 * ETHER, 3000 * ETHER], mins) == 4 * 10**18
    assert vrf.multi_token_weight([50 * ETHER, 2000 * ETHER], mins) == 2 * 10**18
    assert vrf.multi_token_weight([99 * ETHER, 999 * ETHER], mins) == 0
    assert vrf.multi_token_weight([2**200, 0], [1, 1]) == vrf.MAX_TOKEN_WEIGHT
    big = vrf.multi_token_weight([2**200, 0], [10**30, 1])
    assert big == vrf.MAX_TOKEN_WEIGHT * 10**18 // 10**30
    assert vrf.selection_count(2, 5, 3) == 3
    assert vrf.selection_count(2, 5, 9) == 5


@settings(max_examples=60, deadline=None)
@given(
    beta=st.binary(min_size=32, max_size=32),
    weights=st.lists(st.integers(0, 10**21), min_size=1, max_size=20),
    data=st.data(),
)
def test_weighted_sample_properties(beta: bytes, weights: list[int], data: st.DataObject) -> None:
    positive = [i for i, w in enumerate(weights) if w > 0]
    if not positive:
        return
    count = data.draw(st.integers(1, len(positive)))
    chosen = vrf.weighted_sample(beta, weights, count)
    assert len(chosen) == count == len(set(chosen))
    assert all(weights[i] > 0 for i in chosen)


def _vrf_betas(n: int) -> Iterator[bytes]:
    sk, _ = vrf.keygen(b"stats-validator")
    for i in range(n):
        yield vrf.vrf_output(sk, b"stats-alpha-%d" % i)


def test_selection_follows_stake_weights_statistically() -> None:
    """Over many VRF outputs, first picks follow the weights (chi-square) and
    2-of-4 inclusion probabilities match the exact without-replacement values."""
    weights = [1 * ETHER, 2 * ETHER, 3 * ETHER, 4 * ETHER]
    total = sum(weights)
    n = 1500
    first = [0] * 4
    included = [0] * 4
    for beta in _vrf_betas(n):
        picks = vrf.weighted_sample(beta, weights, 2)
        first[picks[0]] += 1
        for p in picks:
            included[p] += 1
    chi2 = sum((first[i] - n * w / total) ** 2 / (n * w / total) for i, w in enumerate(weights))
    assert chi2 < 16.27, (first, chi2)  # 3 dof, p = 0.001

    def inclusion(i: int) -> float:
        p = weights[i] / total
        for j, wj in enumerate(weights):
            if j != i:
                p += wj / total * weights[i] / (total - wj)
        return p

    for i in range(4):
        expected = n * inclusion(i)
        sigma = math.sqrt(expected * (1 - inclusion(i)))
        assert abs(included[i] - expected) < 4.5 * sigma, (i, included, expected)


# ---------------------------------------------------------------------------------------
# on-chain (anvil)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain() -> Iterator[Stack]:
    ensure_artifacts()
    with anvil_node() as w3:
        yield Stack.deploy(w3)


def _onchain_verify(stack: Stack, pk, proof4, alpha: bytes, witness) -> tuple[bool, bytes]:
    ok, beta = stack.harness.functions.verify(list(pk), proof4, alpha, witness).call()
    return ok, bytes(beta)


@pytest.mark.parametrize("index", range(len(VECTORS["vectors"])))
def test_golden_vectors_onchain(chain: Stack, index: int) -> None:
    v = VECTORS["vectors"][index]
    pk = _pt(v["pk"])
    alpha = bytes.fromhex(v["alpha"][2:])
    proof4 = [int(x, 16) for x in v["proof"]]
    w = v["witness"]
    witness = tuple([int(a, 16) for a in w[k]] for k in ("u", "sH", "cGamma", "v"))
    ok, beta = _onchain_verify(chain, pk, proof4, alpha, witness)
    assert ok and "0x" + beta.hex() == v["beta"]
    decoded = chain.harness.functions.decodeProof(bytes.fromhex(v["pi"][2:])).call()
    assert list(decoded) == proof4


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sk=secret_keys, other=secret_keys, alpha=alphas, field=st.integers(0, 3))
def test_onchain_roundtrip_and_rejections(
    chain: Stack, sk: int, other: int, alpha: bytes, field: int
) -> None:
    pk = vrf.public_key(sk)
    proof = vrf.prove(sk, alpha)
    _, proof4, witness = vrf.solidity_args(pk, proof, alpha)
    ok, beta = _onchain_verify(chain, pk, proof4, alpha, witness)
    assert ok and beta == vrf.proof_to_hash(proof)
    # wrong key
    if other != sk:
        assert not _onchain_verify(chain, vrf.public_key(other), proof4, alpha, witness)[0]
    # wrong message
    assert not _onchain_verify(chain, pk, proof4, alpha + b"!", witness)[0]
    # tampered proof field
    bad = list(proof4)
    bad[field] ^= 1
    assert not _onchain_verify(chain, pk, bad, alpha, witness)[0]


def test_onchain_gas_is_reasonable(chain: Stack) -> None:
    sk, pk = vrf.keygen(b"gas")
    alpha = b"gas probe"
    _, proof4, witness = vrf.solidity_args(pk, vrf.prove(sk, alpha), alpha)
    ok, _, gas = chain.harness.functions.verifyWithGas(list(pk), proof4, alpha, witness).call()
    assert ok and gas < 40_000


def _revert_selector(exc: Exception) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, str):
        return data[:10]
    return str(exc)


def test_onchain_selection_matches_python(chain: Stack) -> None:
    """Several rollups selected with real proofs; each selection equals the Python
    re-implementation of the weight and sampling rules; alpha matches its formula."""
    w3 = chain.w3
    stakes = [
        (100, 0),
        (300, 0),
        (0, 1000),
        (0, 5000),
        (150, 2000),
        (99, 999),  # ineligible
        (0, 0),  # ineligible
        (1000, 0),
    ]
    for alt_amount, sol_amount in stakes:
        chain.add_operator(alt_amount * ETHER, sol_amount * ETHER)
    validator = list(w3.eth.accounts)[1]
    sk, pk = vrf.keygen(b"beacon-validator-1")
    chain.register_validator(validator, pk)
    mins = [100 * ETHER, 1000 * ETHER]

    for round_ in range(4):
        min_seq, max_seq = (2, 4) if round_ % 2 == 0 else (1, 8)
        rollup_id, chain_id, request_block = chain.request(min_seq, max_seq)
        assert chain_id == 900_000 + rollup_id
        assert chain.elr.functions.rollupIdOfChain(chain_id).call() == rollup_id
        seed = bytes(w3.eth.get_block(request_block - 1)["hash"])
        alpha = vrf.selection_alpha(w3.eth.chain_id, chain.elr.address, rollup_id, seed)
        assert bytes(chain.elr.functions.selectionAlpha(rollup_id).call()) == alpha

        ops, weights = chain.elr.functions.eligibleOperators(rollup_id).call()
        py_weights = {}
        for op in chain.operators:
            s = [
                chain.sr.functions.activeStake(op, t.address).call()
                for t in (chain.alt, chain.st_sol)
            ]
            py_weights[op] = vrf.multi_token_weight(s, mins)
        assert list(ops) == [op for op in chain.operators if py_weights[op] > 0]
        assert list(weights) == [py_weights[op] for op in ops]

        selected, beta, gas = chain.select(rollup_id, validator, sk)
        assert beta == vrf.proof_to_hash(vrf.prove(sk, alpha))
        count = min(max_seq, len(ops))
        expected = [ops[i] for i in vrf.weighted_sample(beta, list(weights), count)]
        assert selected == expected
        assert chain.elr.functions.sequencersOf(rollup_id).call() == selected
        assert chain.elr.functions.statusOf(rollup_id).call() == 2  # Active
        assert gas < 1_000_000


def test_onchain_selection_rejects_bad_proofs(chain: Stack) -> None:
    w3 = chain.w3
    if len(chain.operators) < 2:
        chain.add_operator(100 * ETHER, 0)
        chain.add_operator(0, 1000 * ETHER)
    validator = list(w3.eth.accounts)[2]
    sk, pk = vrf.keygen(b"beacon-validator-2")
    chain.register_validator(validator, pk)
    # Only validator 2 may submit for this rollup before the grace period ends unless it is
    # designated; pick a rollup designated to it (or not yet designated to anyone alive).
    for _ in range(20):
        rollup_id, _, _ = chain.request(1, 2)
        designated = chain.elr.functions.selectionInfo(rollup_id).call()[2]
        if designated == validator:
            break
    else:
        pytest.skip("validator 2 was never designated")
    alpha = bytes(chain.elr.functions.selectionAlpha(rollup_id).call())
    wrong_sk, _ = vrf.keygen(b"not-registered")
    cases = {
        "wrong key": (wrong_sk, alpha),
        "wrong message": (sk, alpha[::-1]),
    }
    for name, (key, msg) in cases.items():
        proof = vrf.prove(key, msg)
        _, proof4, witness = vrf.solidity_args(vrf.public_key(key), proof, msg)
        with pytest.raises((ContractCustomError, ContractLogicError)) as info:
            chain.elr.functions.selectSequencers(rollup_id, proof4, witness).call(
                {"from": validator}
            )
        assert _revert_selector(info.value) == _selector("InvalidVrfProof()"), name
    proof = vrf.prove(sk, alpha)
    _, proof4, witness = vrf.solidity_args(pk, proof, alpha)
    tampered = list(proof4)
    tampered[2] ^= 1 << 7
    with pytest.raises((ContractCustomError, ContractLogicError)) as info:
        chain.elr.functions.selectSequencers(rollup_id, tampered, witness).call({"from": validator})
    assert _revert_selector(info.value) == _selector("InvalidVrfProof()")
    # A non-validator is refused before the proof is even looked at.
    with pytest.raises((ContractCustomError, ContractLogicError)) as info:
        chain.elr.functions.selectSequencers(rollup_id, proof4, witness).call(
            {"from": list(w3.eth.accounts)[5]}
        )
    assert _revert_selector(info.value) == _selector("NotValidator(address)")
    # The honest proof goes through.
    selected, _, _ = chain.select(rollup_id, validator, sk)
    assert 1 <= len(selected) <= 2


# ---------------------------------------------------------------------------------------
# RFC 9381 conformance of the construction (published P-256 vectors, Appendix B.1)
# ---------------------------------------------------------------------------------------

RFC9381_P256_TAI = [
    (
        "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
        b"sample",
        "035b5c726e8c0e2c488a107c600578ee75cb702343c153cb1eb8dec77f4b5071b4a53f0a46f018bc2c56e58d"
        "383f2305e0975972c26feea0eb122fe7893c15af376b33edf7de17c6ea056d4d82de6bc02f",
        "a3ad7b0ef73d8fc6655053ea22f9bede8c743f08bbed3d38821f0e16474b505e",
    ),
    (
        "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
        b"test",
        "034dac60aba508ba0c01aa9be80377ebd7562c4a52d74722e0abae7dc3080ddb56c19e067b15a8a8174905b1"
        "3617804534214f935b94c2287f797e393eb0816969d864f37625b443f30f1a5a33f2b3c854",
        "a284f94ceec2ff4b3794629da7cbafa49121972671b466cab4ce170aa365f26d",
    ),
    (
        "2ca1411a41b17b24cc8c3b089cfd033f1920202a6c0de8abb97df1498d50d2c8",
        b"Example using ECDSA key from Appendix L.4.2 of ANSI.X9-62-2005",
        "03d03398bf53aa23831d7d1b2937e005fb0062cbefa06796579f2a1fc7e7b8c667d091c00b0f5c3619d10ece"
        "a44363b5a599cadc5b2957e223fec62e81f7b4825fc799a771a3d7334b9186bdbee87316b1",
        "90871e06da5caa39a3c61578ebb844de8635e27ac0b13e829997d0d95dd98c19",
    ),
]


@pytest.mark.parametrize("sk_hex,alpha,pi_hex,beta_hex", RFC9381_P256_TAI)
def test_rfc9381_p256_vectors(sk_hex: str, alpha: bytes, pi_hex: str, beta_hex: str) -> None:
    """The same code, instantiated with RFC 9381's ECVRF-P256-SHA256-TAI suite, reproduces
    the RFC's proofs byte for byte: encode-to-curve, RFC 6979 nonce, challenge and
    proof-to-hash are the RFC's, so the secp256k1 suite differs only in curve and suite byte."""
    suite = vrf.P256_TAI
    sk = int(sk_hex, 16)
    pk = vrf.public_key(sk, suite)
    proof = vrf.prove(sk, alpha, suite)
    assert proof.to_bytes().hex() == pi_hex
    assert vrf.verify(pk, bytes.fromhex(pi_hex), alpha, suite) == bytes.fromhex(beta_hex)
    assert vrf.verify(pk, bytes.fromhex(pi_hex), alpha + b"x", suite) is None
