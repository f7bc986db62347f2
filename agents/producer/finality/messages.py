"""GRANDPA wire formats: blocks, voter sets, signed votes, certificates, equivocation evidence.

Every byte layout here is fixed-width big-endian so that a Solidity contract can rebuild
the signed digest with ``abi.encodePacked`` and check it with ``ecrecover``:

- block hash: ``keccak256(parent_hash(32) || number(u64) || body_root(32))``; the body root
  commits to the rest of the producer's header, so an ancestry link is checkable offline;
- vote message (97 bytes): ``VOTE_DOMAIN(32) || chain_id(u64) || set_id(u64) || round(u64)
  || phase(u8: 1 prevote, 2 precommit) || block_hash(32) || block_number(u64)``, and the
  signed digest is ``keccak256(message)`` (no EIP-191 prefix);
- signature (65 bytes): ``r(32) || s(32) || v(u8, 27 or 28)``, low-s, exactly what
  ``ecrecover(digest, v, r, s)`` takes.

Certificates and evidence layouts are described on :func:`encode_certificate` and
:func:`encode_evidence` (and in ``docs/grandpa.md``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum

import coincurve
from sha3 import keccak_256

ZERO_HASH = bytes(32)
VOTE_DOMAIN = keccak_256(b"altrollup.grandpa.vote.v1").digest()
CERTIFICATE_VERSION = 1
EVIDENCE_VERSION = 1
MAX_U64 = 2**64 - 1
MAX_VOTERS = 2**16 - 1


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data``."""
    return keccak_256(data).digest()


class Phase(IntEnum):
    """The two voting phases of a round (the byte value is part of the signed message)."""

    PREVOTE = 1
    PRECOMMIT = 2


def block_hash(parent_hash: bytes, number: int, body_root: bytes) -> bytes:
    """The hash of a block: ``keccak256(parent_hash || number(u64) || body_root)``."""
    return keccak(parent_hash + number.to_bytes(8, "big") + body_root)


@dataclass(frozen=True)
class Block:
    """A block as finality sees it; ``hash`` is derived, so it always matches its parts."""

    parent_hash: bytes
    number: int
    body_root: bytes
    hash: bytes = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.parent_hash) != 32 or len(self.body_root) != 32:
            raise ValueError("parent_hash and body_root must be 32 bytes")
        if not 0 <= self.number <= MAX_U64:
            raise ValueError("block number out of u64 range")
        object.__setattr__(self, "hash", block_hash(self.parent_hash, self.number, self.body_root))

    def encode(self) -> bytes:
        """72 bytes: parent_hash(32) || number(u64) || body_root(32)."""
        return self.parent_hash + self.number.to_bytes(8, "big") + self.body_root

    @classmethod
    def decode(cls, data: bytes) -> Block:
        """Inverse of :meth:`encode`."""
        if len(data) != 72:
            raise ValueError("a block header is 72 bytes")
        return cls(data[:32], int.from_bytes(data[32:40], "big"), data[40:])


def genesis_block(body_root: bytes = ZERO_HASH) -> Block:
    """Block 0 with a zero parent hash."""
    return Block(ZERO_HASH, 0, body_root)


@dataclass(frozen=True)
class VoterInfo:
    """One voter: its Ethereum address (the sequencer's signing key) and its weight."""

    address: bytes
    weight: int = 1


@dataclass(frozen=True)
class VoterSet:
    """The producer set of one rollup (``chain_id``) for one set id, in a fixed order.

    A voter's index in ``voters`` names it in certificates. A weight is a supermajority
    when ``3 * weight > 2 * total_weight``.
    """

    chain_id: int
    set_id: int
    voters: tuple[VoterInfo, ...]
    _index: dict[bytes, int] = field(init=False, compare=False, repr=False)
    _total: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.voters or len(self.voters) > MAX_VOTERS:
            raise ValueError("a voter set has 1..65535 voters")
        if not (0 <= self.chain_id <= MAX_U64 and 0 <= self.set_id <= MAX_U64):
            raise ValueError("chain_id and set_id are u64")
        index: dict[bytes, int] = {}
        for position, voter in enumerate(self.voters):
            if len(voter.address) != 20 or voter.weight <= 0:
                raise ValueError("voters need a 20-byte address and a positive weight")
            if voter.address in index:
                raise ValueError("duplicate voter address")
            index[voter.address] = position
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_total", sum(v.weight for v in self.voters))

    @classmethod
    def of(
        cls, chain_id: int, set_id: int, addresses: list[bytes], weights: list[int] | None = None
    ) -> VoterSet:
        """A voter set from addresses (weight 1 each unless ``weights`` is given)."""
        weights = weights or [1] * len(addresses)
        return cls(
            chain_id,
            set_id,
            tuple(VoterInfo(a, w) for a, w in zip(addresses, weights, strict=True)),
        )

    @property
    def total_weight(self) -> int:
        return self._total

    @property
    def max_faulty_weight(self) -> int:
        """The largest weight f with 3f < total: the Byzantine weight tolerated."""
        return (self.total_weight - 1) // 3

    def is_supermajority(self, weight: int) -> bool:
        """True when ``weight`` is more than two thirds of the total."""
        return 3 * weight > 2 * self._total

    def index_of(self, address: bytes) -> int | None:
        return self._index.get(address)


def address_of(private_key: coincurve.PrivateKey) -> bytes:
    """The Ethereum address of a secp256k1 key."""
    return keccak(private_key.public_key.format(compressed=False)[1:])[-20:]


@dataclass(frozen=True)
class Vote:
    """What a voter votes for in one round and phase."""

    round: int
    phase: Phase
    block_hash: bytes
    block_number: int


def vote_message(vote: Vote, chain_id: int, set_id: int) -> bytes:
    """The 97-byte domain-separated message whose keccak256 is signed."""
    return (
        VOTE_DOMAIN
        + struct.pack(">QQQB", chain_id, set_id, vote.round, int(vote.phase))
        + vote.block_hash
        + vote.block_number.to_bytes(8, "big")
    )


def vote_digest(vote: Vote, chain_id: int, set_id: int) -> bytes:
    """keccak256 of :func:`vote_message`: the digest handed to ``ecrecover``."""
    return keccak(vote_message(vote, chain_id, set_id))


def sign_digest(private_key: coincurve.PrivateKey, digest: bytes) -> bytes:
    """A 65-byte ``r || s || v`` signature with v in {27, 28} (RFC 6979, deterministic)."""
    raw = private_key.sign_recoverable(digest, hasher=None)
    return raw[:64] + bytes([raw[64] + 27])


def recover_address(digest: bytes, signature: bytes) -> bytes | None:
    """The signer's address as ``ecrecover`` would return it, or None if invalid."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(
            signature[:64] + bytes([signature[64] - 27]), digest, hasher=None
        )
    except Exception:
        return None
    return keccak(public_key.format(compressed=False)[1:])[-20:]


@dataclass(frozen=True)
class SignedVote:
    """A vote, the voter set it was cast in, the voter's index in it and its signature."""

    vote: Vote
    set_id: int
    voter_index: int
    signature: bytes

    def encode(self) -> bytes:
        """124 bytes: set_id(u64) voter_index(u16) round(u64) phase(u8) hash number(u64) sig."""
        v = self.vote
        return (
            struct.pack(">QHQB", self.set_id, self.voter_index, v.round, int(v.phase))
            + v.block_hash
            + v.block_number.to_bytes(8, "big")
            + self.signature
        )

    @classmethod
    def decode(cls, data: bytes) -> SignedVote:
        """Inverse of :meth:`encode` (raises ValueError on a malformed message)."""
        if len(data) != 124:
            raise ValueError("a signed vote is 124 bytes")
        set_id, voter_index, round_number, phase = struct.unpack(">QHQB", data[:19])
        vote = Vote(round_number, Phase(phase), data[19:51], int.from_bytes(data[51:59], "big"))
        return cls(vote, set_id, voter_index, data[59:])


def sign_vote(
    vote: Vote, voter_set: VoterSet, voter_index: int, private_key: coincurve.PrivateKey
) -> SignedVote:
    """Sign ``vote`` as voter ``voter_index`` of ``voter_set``."""
    digest = vote_digest(vote, voter_set.chain_id, voter_set.set_id)
    return SignedVote(vote, voter_set.set_id, voter_index, sign_digest(private_key, digest))


def verify_signed_vote(signed: SignedVote, voter_set: VoterSet) -> bool:
    """True when the vote belongs to ``voter_set`` and is signed by the voter it names."""
    vote = signed.vote
    if signed.set_id != voter_set.set_id or not 0 <= signed.voter_index < len(voter_set.voters):
        return False
    if vote.round < 1 or vote.round > MAX_U64 or len(vote.block_hash) != 32:
        return False
    if not 0 <= vote.block_number <= MAX_U64:
        return False
    digest = vote_digest(vote, voter_set.chain_id, voter_set.set_id)
    return recover_address(digest, signed.signature) == voter_set.voters[signed.voter_index].address


# --- finality certificates -------------------------------------------------------------


@dataclass(frozen=True)
class CertificateVote:
    """One precommit inside a certificate (its round and set id are the certificate's)."""

    voter_index: int
    block_hash: bytes
    block_number: int
    signature: bytes


@dataclass(frozen=True)
class FinalityCertificate:
    """Precommits of one round proving ``block_hash`` (and so its whole chain) final.

    Each precommit is for the target or a descendant of it; ``ancestry`` holds the headers
    linking every descendant target back to the target (the target itself excluded).
    """

    chain_id: int
    set_id: int
    round: int
    block_hash: bytes
    block_number: int
    precommits: tuple[CertificateVote, ...]
    ancestry: tuple[Block, ...] = ()


def encode_certificate(cert: FinalityCertificate) -> bytes:
    """Compact bytes of a certificate.

    ``version(u8)=1 || chain_id(u64) || set_id(u64) || round(u64) || target_hash(32) ||
    target_number(u64) || count(u16) || count * precommit || ancestry_count(u16) ||
    ancestry_count * header(72)``, where a precommit is ``voter_index(u16) || kind(u8)
    || [block_hash(32) || block_number(u64) if kind == 1] || signature(65)`` (kind 0: for
    the target itself) and a header is ``parent_hash(32) || number(u64) || body_root(32)``.
    Precommits are sorted by strictly increasing voter index.
    """
    out = bytearray(
        struct.pack(">BQQQ", CERTIFICATE_VERSION, cert.chain_id, cert.set_id, cert.round)
    )
    out += cert.block_hash + cert.block_number.to_bytes(8, "big")
    out += len(cert.precommits).to_bytes(2, "big")
    for pc in cert.precommits:
        out += pc.voter_index.to_bytes(2, "big")
        if pc.block_hash == cert.block_hash and pc.block_number == cert.block_number:
            out += b"\x00"
        else:
            out += b"\x01" + pc.block_hash + pc.block_number.to_bytes(8, "big")
        out += pc.signature
    out += len(cert.ancestry).to_bytes(2, "big")
    for header in cert.ancestry:
        out += header.encode()
    return bytes(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, size: int) -> bytes:
        end = self.offset + size
        if end > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.offset : end]
        self.offset = end
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def done(self) -> None:
        if self.offset != len(self.data):
            raise ValueError("trailing bytes")


def decode_certificate(data: bytes) -> FinalityCertificate:
    """Inverse of :func:`encode_certificate` (ValueError on malformed input)."""
    reader = _Reader(data)
    if reader.uint(1) != CERTIFICATE_VERSION:
        raise ValueError("unknown certificate version")
    chain_id, set_id, round_number = reader.uint(8), reader.uint(8), reader.uint(8)
    target_hash, target_number = reader.take(32), reader.uint(8)
    precommits = []
    for _ in range(reader.uint(2)):
        voter_index = reader.uint(2)
        kind = reader.uint(1)
        if kind == 0:
            voted_hash, voted_number = target_hash, target_number
        elif kind == 1:
            voted_hash, voted_number = reader.take(32), reader.uint(8)
            if voted_hash == target_hash and voted_number == target_number:
                raise ValueError("non-canonical precommit kind")
        else:
            raise ValueError("unknown precommit kind")
        precommits.append(CertificateVote(voter_index, voted_hash, voted_number, reader.take(65)))
    ancestry = tuple(Block.decode(reader.take(72)) for _ in range(reader.uint(2)))
    reader.done()
    return FinalityCertificate(
        chain_id, set_id, round_number, target_hash, target_number, tuple(precommits), ancestry
    )


def verify_certificate(cert: FinalityCertificate, voter_set: VoterSet) -> bool:
    """True when ``cert`` proves its target final for ``voter_set``.

    Checks: same chain and set id; voter indices strictly increasing and in range; every
    signature recovers to its voter over (round, precommit, hash, number); every precommit
    is for the target or, through the ancestry headers, a descendant of it; every ancestry
    header is used; the signers' weight is a supermajority.
    """
    if cert.chain_id != voter_set.chain_id or cert.set_id != voter_set.set_id:
        return False
    if cert.round < 1 or len(cert.block_hash) != 32:
        return False
    headers = {header.hash: header for header in cert.ancestry}
    if len(headers) != len(cert.ancestry):
        return False
    used: set[bytes] = set()
    weight = 0
    previous_index = -1
    for pc in cert.precommits:
        if pc.voter_index <= previous_index or pc.voter_index >= len(voter_set.voters):
            return False
        previous_index = pc.voter_index
        if not _links_to_target(pc.block_hash, pc.block_number, cert, headers, used):
            return False
        vote = Vote(cert.round, Phase.PRECOMMIT, pc.block_hash, pc.block_number)
        digest = vote_digest(vote, cert.chain_id, cert.set_id)
        if recover_address(digest, pc.signature) != voter_set.voters[pc.voter_index].address:
            return False
        weight += voter_set.voters[pc.voter_index].weight
    return len(used) == len(headers) and voter_set.is_supermajority(weight)


def _links_to_target(
    voted_hash: bytes,
    voted_number: int,
    cert: FinalityCertificate,
    headers: dict[bytes, Block],
    used: set[bytes],
) -> bool:
    current_hash, current_number = voted_hash, voted_number
    while current_number > cert.block_number:
        header = headers.get(current_hash)
        if header is None or header.number != current_number:
            return False
        used.add(current_hash)
        current_hash, current_number = header.parent_hash, current_number - 1
    return current_number == cert.block_number and current_hash == cert.block_hash


# --- equivocation evidence ---------------------------------------------------------------


@dataclass(frozen=True)
class EquivocationEvidence:
    """Two different signed votes by one voter for the same round and phase.

    ``first`` and ``second`` are ``(block_hash, block_number, signature)``, ordered so that
    ``first_hash || first_number < second_hash || second_number`` (one canonical encoding).
    """

    chain_id: int
    set_id: int
    round: int
    phase: Phase
    offender: bytes
    first: tuple[bytes, int, bytes]
    second: tuple[bytes, int, bytes]


def make_evidence(a: SignedVote, b: SignedVote, voter_set: VoterSet) -> EquivocationEvidence:
    """Evidence from two conflicting votes by the same voter (same round and phase)."""
    if (a.voter_index, a.vote.round, a.vote.phase) != (b.voter_index, b.vote.round, b.vote.phase):
        raise ValueError("votes are not for the same voter, round and phase")
    pair = sorted(
        [(v.vote.block_hash, v.vote.block_number, v.signature) for v in (a, b)],
        key=lambda item: item[0] + item[1].to_bytes(8, "big"),
    )
    return EquivocationEvidence(
        voter_set.chain_id,
        voter_set.set_id,
        a.vote.round,
        a.vote.phase,
        voter_set.voters[a.voter_index].address,
        pair[0],
        pair[1],
    )


def encode_evidence(evidence: EquivocationEvidence) -> bytes:
    """256 bytes, for ``ecrecover`` on L1.

    ``version(u8)=1 || chain_id(u64) || set_id(u64) || round(u64) || phase(u8) ||
    offender(20) || first_hash(32) || first_number(u64) || first_sig(65) ||
    second_hash(32) || second_number(u64) || second_sig(65)``.
    """
    out = struct.pack(
        ">BQQQB",
        EVIDENCE_VERSION,
        evidence.chain_id,
        evidence.set_id,
        evidence.round,
        evidence.phase,
    )
    out += evidence.offender
    for voted_hash, voted_number, signature in (evidence.first, evidence.second):
        out += voted_hash + voted_number.to_bytes(8, "big") + signature
    return out


def decode_evidence(data: bytes) -> EquivocationEvidence:
    """Inverse of :func:`encode_evidence` (ValueError on malformed input)."""
    if len(data) != 256:
        raise ValueError("evidence is 256 bytes")
    version, chain_id, set_id, round_number, phase = struct.unpack(">BQQQB", data[:26])
    if version != EVIDENCE_VERSION:
        raise ValueError("unknown evidence version")
    offender = data[26:46]
    votes = []
    for start in (46, 151):
        chunk = data[start : start + 105]
        votes.append((chunk[:32], int.from_bytes(chunk[32:40], "big"), chunk[40:]))
    return EquivocationEvidence(
        chain_id, set_id, round_number, Phase(phase), offender, votes[0], votes[1]
    )


def verify_evidence(evidence: EquivocationEvidence, voter_set: VoterSet | None = None) -> bool:
    """True when both votes are signed by ``offender``, differ, and are canonically ordered.

    With ``voter_set``, also that the evidence is for that set and the offender is in it.
    """
    first_key = evidence.first[0] + evidence.first[1].to_bytes(8, "big")
    second_key = evidence.second[0] + evidence.second[1].to_bytes(8, "big")
    if not first_key < second_key:
        return False
    if voter_set is not None:
        if (evidence.chain_id, evidence.set_id) != (voter_set.chain_id, voter_set.set_id):
            return False
        if voter_set.index_of(evidence.offender) is None:
            return False
    for voted_hash, voted_number, signature in (evidence.first, evidence.second):
        vote = Vote(evidence.round, evidence.phase, voted_hash, voted_number)
        digest = vote_digest(vote, evidence.chain_id, evidence.set_id)
        if recover_address(digest, signature) != evidence.offender:
            return False
    return True
