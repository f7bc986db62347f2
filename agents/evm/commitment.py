"""Per-step machine-state hashing for the dispute path (see ``docs/commitment.md``).

Everything here takes primitive inputs (ints, bytes, lists) so that the interpreter's
trace mode can feed it from its frames without this module knowing interpreter types.
All updates are incremental: a push or pop costs one hash, a memory word write costs
``depth`` hashes, and nothing ever rehashes the whole stack or memory per step.

Contents, in the order of the document:

* word Merkle trees over 32-byte words with size-determined depth (memory, calldata,
  return data, transaction data) and their proofs (:class:`MemoryTree`, :func:`merkle_root`);
* :class:`ByteView`, a (root, tree size, offset, length) window onto such a tree, used for
  calldata and return data so that CALL and RETURN never copy bytes;
* code chunking with a push-data header byte (:func:`code_chunks`, :func:`code_root`) and
  the bounded JUMPDEST check (:func:`is_jumpdest_in_chunk`);
* the stack hash chain (:class:`StackCommitment`);
* frames, the suspended-frame chain, the transaction context and the machine hash;
* the logs accumulator, access-set commitments, an append-only Merkle builder and a
  keccak sponge with committed intermediate state for chunked KECCAK256.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from sha3 import keccak_256

from agents.evm import smt

WORD = 32
ZERO_WORD = b"\x00" * 32


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data``."""
    return keccak_256(data).digest()


def u256(value: int) -> bytes:
    """32-byte big-endian encoding of an unsigned 256-bit integer."""
    return value.to_bytes(32, "big")


def address_word(address: bytes) -> bytes:
    """A 20-byte address left-padded to a 32-byte word."""
    return b"\x00" * 12 + address


def hash_words(*words: bytes) -> bytes:
    """keccak256 of the concatenation of 32-byte words."""
    return keccak_256(b"".join(words)).digest()


# ================================================================ word Merkle trees


def _zero_tree_hashes(levels: int) -> list[bytes]:
    out = [ZERO_WORD]
    for _ in range(levels):
        out.append(keccak(out[-1] + out[-1]))
    return out


ZERO_TREE = _zero_tree_hashes(64)
"""``ZERO_TREE[k]`` is the root of a depth-``k`` tree whose leaves are all zero words."""


def tree_depth(leaf_count: int) -> int:
    """Depth of the word tree over ``leaf_count`` leaves: ceil(log2(n)), 0 for n <= 1."""
    return 0 if leaf_count <= 1 else (leaf_count - 1).bit_length()


def words_of(data: bytes) -> list[bytes]:
    """``data`` split into 32-byte words, the last one zero-padded."""
    padded = bytes(data) + b"\x00" * (-len(data) % WORD)
    return [padded[i : i + WORD] for i in range(0, len(padded), WORD)]


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the word tree over ``leaves`` (32 bytes each), zero-padded to 2**depth.

    Leaves are used as they are (not hashed): the depth is fixed by the committed size,
    so a leaf can never be confused with an internal node. No leaves -> the zero word.
    """
    if not leaves:
        return ZERO_WORD
    level = list(leaves)
    depth = tree_depth(len(level))
    for k in range(depth):
        if len(level) % 2:
            level.append(ZERO_TREE[k])
        level = [keccak_256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Siblings of leaf ``index``, bottom-up (``tree_depth(len(leaves))`` entries)."""
    level = list(leaves)
    proof: list[bytes] = []
    for k in range(tree_depth(len(level))):
        if len(level) % 2:
            level.append(ZERO_TREE[k])
        sibling = index ^ 1
        proof.append(level[sibling] if sibling < len(level) else ZERO_TREE[k])
        level = [keccak_256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
        index >>= 1
    return proof


def root_from_leaf(index: int, leaf: bytes, siblings: Sequence[bytes]) -> bytes:
    """Fold ``leaf`` at ``index`` up through bottom-up ``siblings``."""
    node = leaf
    for sibling in siblings:
        node = keccak_256(sibling + node if index & 1 else node + sibling).digest()
        index >>= 1
    return node


def verify_leaf(
    root: bytes, leaf_count: int, index: int, leaf: bytes, siblings: Sequence[bytes]
) -> bool:
    """True iff ``leaf`` is leaf ``index`` of the tree of ``leaf_count`` leaves at ``root``."""
    if len(siblings) != tree_depth(leaf_count) or index >= max(leaf_count, 1):
        return False
    return root_from_leaf(index, leaf, siblings) == root


def root_after_leaf_write(index: int, new_leaf: bytes, siblings: Sequence[bytes]) -> bytes:
    """Root after replacing leaf ``index`` (proof checked beforehand with :func:`verify_leaf`)."""
    return root_from_leaf(index, new_leaf, siblings)


def root_after_growth(root: bytes, old_leaf_count: int, new_leaf_count: int) -> bytes:
    """Root after appending zero leaves: the old tree becomes the leftmost subtree."""
    for k in range(tree_depth(old_leaf_count), tree_depth(new_leaf_count)):
        root = keccak_256(root + ZERO_TREE[k]).digest()
    return root


def _levels_of(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """All levels of the word tree over ``leaves``, padded to 2**depth (bottom first)."""
    depth = tree_depth(len(leaves))
    level = list(leaves) or [ZERO_WORD]
    level += [ZERO_WORD] * ((1 << depth) - len(level))
    levels = [level]
    for _ in range(depth):
        level = [keccak_256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def range_proof_from_levels(
    levels: Sequence[Sequence[bytes]], first: int, count: int
) -> list[bytes]:
    """Siblings proving the ``count`` contiguous leaves starting at ``first``.

    Bottom-up, per level: the left neighbour if the known range starts at an odd index,
    then the right neighbour if it ends (exclusive) at an odd index. At most 2 * depth.
    """
    if count < 1:
        raise ValueError("a range proof covers at least one leaf")
    lo, hi = first, first + count
    proof: list[bytes] = []
    for level in levels[:-1]:
        if lo & 1:
            proof.append(level[lo - 1])
            lo -= 1
        if hi & 1:
            proof.append(level[hi])
            hi += 1
        lo >>= 1
        hi >>= 1
    return proof


def range_proof(leaves: Sequence[bytes], first: int, count: int) -> list[bytes]:
    """:func:`range_proof_from_levels` for a plain list of leaves."""
    return range_proof_from_levels(_levels_of(leaves), first, count)


def root_from_range(
    leaf_count: int, first: int, leaves: Sequence[bytes], proof: Sequence[bytes]
) -> bytes | None:
    """Root implied by contiguous ``leaves`` at ``first`` and a :func:`range_proof`.

    Returns ``None`` if the shape is wrong (range outside the tree, proof too short or
    too long). The caller compares the result with the committed root.
    """
    depth = tree_depth(leaf_count)
    lo, hi = first, first + len(leaves)
    if not leaves or hi > (1 << depth):
        return None
    nodes = list(leaves)
    items = iter(proof)
    try:
        for _ in range(depth):
            if lo & 1:
                nodes.insert(0, next(items))
                lo -= 1
            if hi & 1:
                nodes.append(next(items))
                hi += 1
            nodes = [keccak_256(nodes[i] + nodes[i + 1]).digest() for i in range(0, len(nodes), 2)]
            lo >>= 1
            hi >>= 1
    except StopIteration:
        return None
    if next(items, None) is not None:
        return None
    return nodes[0]


@dataclass(slots=True)
class MemoryTree:
    """Incremental word tree over EVM memory, committed as ``(size_words, root)``.

    ``levels[0]`` holds the words, ``levels[k]`` the hashes of depth ``depth - k``. Writing
    a word rehashes one path; growing memory only adds zero leaves and, when the depth
    grows, hashes the old root with zero subtrees.
    """

    size_words: int = 0
    levels: list[list[bytes]] = field(default_factory=lambda: [[ZERO_WORD]])

    @property
    def depth(self) -> int:
        return len(self.levels) - 1

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def expand(self, size_words: int) -> None:
        """Grow to ``size_words`` words (no-op if already that large)."""
        if size_words <= self.size_words:
            return
        new_depth = tree_depth(size_words)
        while self.depth < new_depth:
            k = self.depth
            for level_index, level in enumerate(self.levels):
                level.extend([ZERO_TREE[level_index]] * len(level))
            top = self.levels[-1]
            self.levels.append([keccak_256(top[0] + top[1]).digest()])
            assert k + 1 == self.depth
        self.size_words = size_words

    def write_word(self, index: int, word: bytes) -> None:
        """Set word ``index`` (must be below ``size_words``) and rehash its path."""
        levels = self.levels
        if levels[0][index] == word:
            return
        levels[0][index] = word
        for k in range(1, len(levels)):
            index >>= 1
            below = levels[k - 1]
            levels[k][index] = keccak_256(below[2 * index] + below[2 * index + 1]).digest()

    def sync(self, memory: bytes | bytearray | memoryview, offset: int, length: int) -> None:
        """Re-read the words covering ``memory[offset:offset+length]`` after a write."""
        if length <= 0:
            return
        needed = (len(memory) + WORD - 1) // WORD
        self.expand(needed)
        first, last = offset // WORD, (offset + length - 1) // WORD
        for i in range(first, last + 1):
            word = bytes(memory[i * WORD : (i + 1) * WORD])
            if len(word) < WORD:
                word += b"\x00" * (WORD - len(word))
            self.write_word(i, word)

    def word(self, index: int) -> bytes:
        return self.levels[0][index] if index < len(self.levels[0]) else ZERO_WORD

    def prove_word(self, index: int) -> list[bytes]:
        """Bottom-up siblings of word ``index``."""
        proof = []
        for k in range(self.depth):
            proof.append(self.levels[k][index ^ 1])
            index >>= 1
        return proof

    def prove_range(self, first: int, count: int) -> list[bytes]:
        """Range proof of ``count`` words starting at word ``first``."""
        return range_proof_from_levels(self.levels, first, count)

    def snapshot(self) -> MemoryTree:
        """A frozen copy (for MCOPY sources and the return data of finished frames)."""
        return MemoryTree(self.size_words, [list(level) for level in self.levels])

    @classmethod
    def from_bytes(cls, data: bytes) -> MemoryTree:
        tree = cls()
        tree.sync(data, 0, len(data))
        return tree


@dataclass(frozen=True, slots=True)
class ByteView:
    """A window ``[offset, offset+length)`` onto the byte array committed by ``root``.

    ``tree_words`` is the size (in words) of the underlying array, which fixes the tree
    depth. Calldata is a view on the caller's memory (frozen while the callee runs) or
    on the transaction data; return data is a view on the returning frame's memory.
    Bytes past ``length`` read as zero.
    """

    root: bytes = ZERO_WORD
    tree_words: int = 0
    offset: int = 0
    length: int = 0

    def words(self) -> tuple[bytes, bytes, bytes, bytes]:
        return (self.root, u256(self.tree_words), u256(self.offset), u256(self.length))

    def source_word_indices(self, start: int, count: int) -> list[int]:
        """Word indices of the underlying array needed to read ``count`` bytes at ``start``."""
        end = min(start + count, self.length)
        if end <= start:
            return []
        first = (self.offset + start) // WORD
        last = (self.offset + end - 1) // WORD
        return list(range(first, last + 1))


def view_of_bytes(data: bytes) -> ByteView:
    """A view covering the whole of ``data`` (e.g. the transaction's calldata)."""
    words = words_of(data)
    return ByteView(merkle_root(words), len(words), 0, len(data))


# ================================================================ code


CODE_CHUNK_DATA = 31


def code_chunks(code: bytes) -> list[bytes]:
    """32-byte code chunks: a header byte then 31 code bytes (zero-padded).

    The header is the number of leading bytes of the chunk that are PUSH data of an
    instruction started in an earlier chunk (at most 31), so whether a byte is an opcode
    is decidable from its own chunk alone.
    """
    chunk_count = (len(code) + CODE_CHUNK_DATA - 1) // CODE_CHUNK_DATA
    headers = [0] * chunk_count
    pc = 0
    n = len(code)
    while pc < n:
        op = code[pc]
        if 0x60 <= op <= 0x7F:
            data_start, data_end = pc + 1, pc + 1 + (op - 0x5F)
            first_chunk = (data_start + CODE_CHUNK_DATA - 1) // CODE_CHUNK_DATA
            for c in range(first_chunk, min(chunk_count, (data_end - 1) // CODE_CHUNK_DATA + 1)):
                headers[c] = min(data_end - c * CODE_CHUNK_DATA, CODE_CHUNK_DATA)
            pc = data_end
        else:
            pc += 1
    out = []
    for c in range(chunk_count):
        body = code[c * CODE_CHUNK_DATA : (c + 1) * CODE_CHUNK_DATA]
        out.append(bytes([headers[c]]) + body + b"\x00" * (CODE_CHUNK_DATA - len(body)))
    return out


def code_root(code: bytes) -> bytes:
    """Root of the word tree over :func:`code_chunks` (zero word for empty code)."""
    return merkle_root(code_chunks(code))


def code_chunk_index(pc: int) -> tuple[int, int]:
    """(chunk index, byte position inside the chunk) of code byte ``pc``."""
    return pc // CODE_CHUNK_DATA, 1 + pc % CODE_CHUNK_DATA


def is_jumpdest_in_chunk(chunk: bytes, pc: int) -> bool:
    """True iff code byte ``pc`` (which lies in ``chunk``) is a JUMPDEST opcode.

    At most 31 iterations: skip the header's push-data bytes, then walk instructions.
    """
    target = pc % CODE_CHUNK_DATA
    i = chunk[0]
    while i < target:
        op = chunk[1 + i]
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return i == target and chunk[1 + target] == 0x5B


# ================================================================ stack


def stack_push_hash(below: bytes, value: int) -> bytes:
    """Stack commitment after pushing ``value`` onto the stack committed by ``below``."""
    return keccak_256(below + value.to_bytes(32, "big")).digest()


def stack_hash_of(values: Iterable[int]) -> bytes:
    """From-scratch stack commitment; ``values`` bottom first. Empty stack -> zero word."""
    h = ZERO_WORD
    for v in values:
        h = keccak_256(h + v.to_bytes(32, "big")).digest()
    return h


@dataclass(slots=True)
class StackCommitment:
    """Hash chain over the stack with every prefix kept: O(1) push and pop.

    ``prefixes[i]`` commits to the bottom ``i`` items; the commitment is ``prefixes[-1]``.
    DUPn costs one hash, SWAPn ``n + 1``; nothing else touches more than the top items.
    """

    prefixes: list[bytes] = field(default_factory=lambda: [ZERO_WORD])

    @property
    def root(self) -> bytes:
        return self.prefixes[-1]

    @property
    def size(self) -> int:
        return len(self.prefixes) - 1

    def push(self, value: int) -> None:
        self.prefixes.append(keccak_256(self.prefixes[-1] + value.to_bytes(32, "big")).digest())

    def push_many(self, values: Iterable[int]) -> None:
        for v in values:
            self.push(v)

    def pop(self, count: int = 1) -> None:
        if count > self.size:
            raise IndexError("stack underflow")
        del self.prefixes[len(self.prefixes) - count :]

    def replace_top(self, top_values: Sequence[int]) -> None:
        """Re-commit the top ``len(top_values)`` items (bottom first), e.g. after SWAPn."""
        self.pop(len(top_values))
        self.push_many(top_values)

    def hash_below_top(self, count: int) -> bytes:
        """The commitment of everything under the top ``count`` items (a proof opening)."""
        return self.prefixes[len(self.prefixes) - 1 - count]


# ================================================================ append-only builder


@dataclass(slots=True)
class MerkleBuilder:
    """Append-only word tree builder with an O(log n) frontier (CREATE code chunking).

    ``frontier[k]`` is the root of a complete left subtree of 2**k leaves still waiting
    for its right sibling, present iff bit ``k`` of ``count`` is set. The sub-step state
    commits the frontier with :meth:`commitment`.
    """

    count: int = 0
    frontier: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> None:
        node = leaf
        k = 0
        while (self.count >> k) & 1:
            node = keccak_256(self.frontier[k] + node).digest()
            k += 1
        if k < len(self.frontier):
            self.frontier[k] = node
        else:
            self.frontier.append(node)
        self.count += 1

    def commitment(self) -> bytes:
        """keccak(count || frontier entries for the set bits of count, lowest first)."""
        parts = [u256(self.count)]
        parts += [self.frontier[k] for k in range(len(self.frontier)) if (self.count >> k) & 1]
        return hash_words(*parts)

    def root(self) -> bytes:
        """Root of the word tree over the appended leaves (same as :func:`merkle_root`)."""
        if self.count == 0:
            return ZERO_WORD
        depth = tree_depth(self.count)
        node: bytes | None = None
        for k in range(depth + 1):
            bit = (self.count >> k) & 1
            if k == depth:
                if node is None:
                    node = self.frontier[k]
                break
            if bit:
                node = keccak_256(
                    self.frontier[k] + (node if node is not None else ZERO_TREE[k])
                ).digest()
            elif node is not None:
                node = keccak_256(node + ZERO_TREE[k]).digest()
        assert node is not None
        return node


# ================================================================ keccak sponge


_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
_ROT = [
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
]  # fmt: skip
_MASK = (1 << 64) - 1
KECCAK_RATE = 136


def keccak_f1600(lanes: list[int]) -> list[int]:
    """The keccak-f[1600] permutation; ``lanes[x + 5*y]`` are 64-bit words."""
    a = list(lanes)
    for rc in _RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        rotated = [((v << 1) | (v >> 63)) & _MASK for v in c]
        d = [c[(x - 1) % 5] ^ rotated[(x + 1) % 5] for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                r = _ROT[x + 5 * y]
                v = a[x + 5 * y]
                b[y + 5 * ((2 * x + 3 * y) % 5)] = ((v << r) | (v >> (64 - r))) & _MASK if r else v
        a = [
            b[x + y] ^ ((~b[(x + 1) % 5 + y]) & b[(x + 2) % 5 + y])
            for y in range(0, 25, 5)
            for x in range(5)
        ]
        a[0] ^= rc
    return a


@dataclass(slots=True)
class KeccakSponge:
    """KECCAK256 absorbed one 136-byte block per sub-step, with a committed state."""

    lanes: list[int] = field(default_factory=lambda: [0] * 25)
    absorbed: int = 0

    def state_bytes(self) -> bytes:
        """The 200-byte state, lanes little-endian in index order."""
        return b"".join(lane.to_bytes(8, "little") for lane in self.lanes)

    def commitment(self) -> bytes:
        """keccak(200-byte state || absorbed byte count as a word)."""
        return keccak(self.state_bytes() + u256(self.absorbed))

    def absorb_block(self, block: bytes) -> None:
        if len(block) != KECCAK_RATE:
            raise ValueError("a full 136-byte block is required")
        lanes = list(self.lanes)
        for i in range(KECCAK_RATE // 8):
            lanes[i] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        self.lanes = keccak_f1600(lanes)
        self.absorbed += KECCAK_RATE

    def finish(self, tail: bytes) -> bytes:
        """Absorb the final partial block (< 136 bytes) with keccak padding; the digest."""
        if len(tail) >= KECCAK_RATE:
            raise ValueError("the tail must be shorter than one block")
        padded = bytearray(tail) + bytearray(KECCAK_RATE - len(tail))
        padded[len(tail)] ^= 0x01
        padded[-1] ^= 0x80
        self.absorb_block(bytes(padded))
        self.absorbed -= KECCAK_RATE - len(tail)
        return self.state_bytes()[:32]


def keccak_in_blocks(data: bytes) -> tuple[bytes, list[bytes]]:
    """Digest of ``data`` via the sponge, with the commitment after each full block."""
    sponge = KeccakSponge()
    commitments = [sponge.commitment()]
    full = len(data) // KECCAK_RATE * KECCAK_RATE
    for i in range(0, full, KECCAK_RATE):
        sponge.absorb_block(data[i : i + KECCAK_RATE])
        commitments.append(sponge.commitment())
    return sponge.finish(data[full:]), commitments


# ================================================================ logs and sets


def log_header_hash(address: bytes, topics: Sequence[int]) -> bytes:
    """keccak(address word || topic count || topics): the part of a log known up front."""
    return hash_words(address_word(address), u256(len(topics)), *(u256(t) for t in topics))


def log_entry_hash(header_hash: bytes, data_size: int, data_hash: bytes) -> bytes:
    """keccak(header hash || data size || keccak(data)), so long data can be hashed in
    sponge sub-steps after the header is fixed."""
    return keccak_256(header_hash + u256(data_size) + data_hash).digest()


def logs_accumulate(accumulator: bytes, entry_hash: bytes) -> bytes:
    """Append one log entry to the accumulator (empty = zero word)."""
    return keccak_256(accumulator + entry_hash).digest()


def address_set_key(address: bytes) -> bytes:
    """SMT key of an address in a set (warm, touched, created, destructed)."""
    return address


def slot_key(address: bytes, slot: int) -> bytes:
    """SMT key of a storage slot of an address (warm slots, transient storage): 52 bytes."""
    return address + slot.to_bytes(32, "big")


ONE_WORD = u256(1)


@dataclass(slots=True)
class SetCommitment:
    """A set committed by an SMT (membership) and a hash chain (ordered enumeration).

    Members map to the word 1 in the SMT. The chain ``keccak(chain || member word)`` lets
    the end-of-transaction sub-steps walk the members one at a time (touched and
    self-destructed accounts); sets that are never enumerated may ignore it.
    """

    root: bytes = smt.EMPTY
    chain: bytes = ZERO_WORD
    count: int = 0
    nodes: dict[bytes, bytes] = field(default_factory=dict)

    def contains(self, key: bytes) -> bool:
        return smt.get(self.nodes, self.root, key) is not None

    def add(self, key: bytes) -> bool:
        """Insert ``key``; returns False (and changes nothing) if already present."""
        if self.contains(key):
            return False
        self.root = smt.update(self.nodes, self.root, {key: ONE_WORD})
        self.chain = keccak_256(self.chain + keccak(key)).digest()
        self.count += 1
        return True

    def words(self) -> tuple[bytes, bytes, bytes]:
        return (self.root, self.chain, u256(self.count))


# ================================================================ frames and machine


PHASE_TX_START = 0
PHASE_RUNNING = 1
PHASE_TX_END = 2
PHASE_DONE = 3

CALL_KIND_CALL = 0
CALL_KIND_CALLCODE = 1
CALL_KIND_DELEGATECALL = 2
CALL_KIND_STATICCALL = 3
CALL_KIND_CREATE = 4
CALL_KIND_CREATE2 = 5
CALL_KIND_TX = 6
CALL_KIND_TX_CREATE = 7


def _word(value: object) -> bytes:
    if isinstance(value, bytes):
        if len(value) == 32:
            return value
        if len(value) == 20:
            return address_word(value)
        raise ValueError(f"cannot encode {len(value)} bytes as a word")
    if isinstance(value, bool):
        return u256(int(value))
    if isinstance(value, int):
        return u256(value)
    if isinstance(value, ByteView):
        raise TypeError("views are encoded field by field")
    raise TypeError(type(value))


def _encode(record: object) -> list[bytes]:
    out: list[bytes] = []
    for f in fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, ByteView):
            out.extend(value.words())
        else:
            out.append(_word(value))
    return out


@dataclass(slots=True)
class FrameContext:
    """The rarely changing part of a call frame (hashed into ``context_hash``)."""

    calldata: ByteView = field(default_factory=ByteView)
    returndata: ByteView = field(default_factory=ByteView)
    caller: bytes = b"\x00" * 20
    address: bytes = b"\x00" * 20
    code_address: bytes = b"\x00" * 20
    value: int = 0
    is_static: bool = False
    depth: int = 0
    call_kind: int = CALL_KIND_TX
    return_offset: int = 0
    return_size: int = 0
    revert_snapshot: bytes = ZERO_WORD

    def encode(self) -> list[bytes]:
        return _encode(self)

    def hash(self) -> bytes:
        return hash_words(*self.encode())


@dataclass(slots=True)
class Frame:
    """The hot part of the current frame; ``context_hash`` commits :class:`FrameContext`."""

    pc: int = 0
    gas: int = 0
    code_root: bytes = ZERO_WORD
    code_size: int = 0
    stack_hash: bytes = ZERO_WORD
    stack_size: int = 0
    memory_root: bytes = ZERO_WORD
    memory_words: int = 0
    pending_op: bytes = ZERO_WORD
    context_hash: bytes = ZERO_WORD

    def encode(self) -> list[bytes]:
        return _encode(self)

    def hash(self) -> bytes:
        """Same as ``hash_words(*self.encode())``, written out: it runs once per step."""
        return keccak_256(
            self.pc.to_bytes(32, "big")
            + self.gas.to_bytes(32, "big")
            + self.code_root
            + self.code_size.to_bytes(32, "big")
            + self.stack_hash
            + self.stack_size.to_bytes(32, "big")
            + self.memory_root
            + self.memory_words.to_bytes(32, "big")
            + self.pending_op
            + self.context_hash
        ).digest()


def frame_stack_push(suspended_hash: bytes, frame_hash: bytes) -> bytes:
    """Suspended-frame chain after suspending a frame (empty chain = zero word)."""
    return keccak_256(suspended_hash + frame_hash).digest()


@dataclass(slots=True)
class TxContext:
    """Transaction-level state that a reverting frame restores (see the document)."""

    warm_addresses: bytes = smt.EMPTY
    warm_slots: bytes = smt.EMPTY
    transient_storage: bytes = smt.EMPTY
    refund: int = 0
    logs_hash: bytes = ZERO_WORD
    log_count: int = 0
    touched_root: bytes = smt.EMPTY
    touched_chain: bytes = ZERO_WORD
    touched_count: int = 0
    destructed_root: bytes = smt.EMPTY
    destructed_chain: bytes = ZERO_WORD
    destructed_count: int = 0

    def encode(self) -> list[bytes]:
        return _encode(self)

    def hash(self) -> bytes:
        return hash_words(*self.encode())


@dataclass(slots=True)
class TxEnv:
    """Immutable transaction and block environment, fixed at transaction start."""

    origin: bytes = b"\x00" * 20
    gas_price: int = 0
    priority_fee_per_gas: int = 0
    gas_limit: int = 0
    blob_hashes_root: bytes = ZERO_WORD
    blob_hash_count: int = 0
    coinbase: bytes = b"\x00" * 20
    timestamp: int = 0
    number: int = 0
    prev_randao: bytes = ZERO_WORD
    block_gas_limit: int = 0
    chain_id: int = 0
    base_fee: int = 0
    blob_base_fee: int = 0
    block_hashes_root: bytes = ZERO_WORD
    trace_context: bytes = ZERO_WORD
    tx_index: int = 0

    def encode(self) -> list[bytes]:
        return _encode(self)

    def hash(self) -> bytes:
        return hash_words(*self.encode())


def revert_snapshot(world_root: bytes, tx_context_hash: bytes) -> bytes:
    """What a frame saves at entry and restores on revert."""
    return keccak_256(world_root + tx_context_hash).digest()


@dataclass(slots=True)
class MachineState:
    """The per-step commitment: one hash over the phase and six sub-commitments.

    ``created_accounts`` (the SMT root of accounts created in this transaction, which
    EIP-6780 SELFDESTRUCT consults) sits here rather than in :class:`TxContext` because a
    reverting frame does not forget it (as in execution-specs, where only the outermost
    rollback clears it).
    """

    phase: int = PHASE_RUNNING
    world_root: bytes = smt.EMPTY
    tx_env_hash: bytes = ZERO_WORD
    tx_context_hash: bytes = ZERO_WORD
    created_accounts: bytes = smt.EMPTY
    frame_hash: bytes = ZERO_WORD
    suspended_frames: bytes = ZERO_WORD

    def encode(self) -> list[bytes]:
        return _encode(self)

    def hash(self) -> bytes:
        """Same as ``hash_words(*self.encode())``, written out: it runs once per step."""
        return keccak_256(
            self.phase.to_bytes(32, "big")
            + self.world_root
            + self.tx_env_hash
            + self.tx_context_hash
            + self.created_accounts
            + self.frame_hash
            + self.suspended_frames
        ).digest()


# ================================================================ trace boundaries


def tx_locator(trace_context: bytes, tx_index: int) -> bytes:
    """keccak(trace context || tx index): names the transaction in boundary states."""
    return keccak_256(trace_context + u256(tx_index)).digest()


def trace_start_state(trace_context: bytes, tx_index: int, pre_tx_root: bytes) -> bytes:
    """The machine hash before the first step of a transaction (ITraceBinding.traceStart)."""
    return MachineState(
        phase=PHASE_TX_START,
        world_root=pre_tx_root,
        tx_env_hash=tx_locator(trace_context, tx_index),
        created_accounts=smt.EMPTY,
    ).hash()


def trace_end_state(trace_context: bytes, tx_index: int, post_tx_root: bytes) -> bytes:
    """The absorbing final machine hash of a transaction (ITraceBinding.traceEnd)."""
    return MachineState(
        phase=PHASE_DONE,
        world_root=post_tx_root,
        tx_env_hash=tx_locator(trace_context, tx_index),
        created_accounts=smt.EMPTY,
    ).hash()


# ================================================================ pending operations


PENDING_NONE = 0
PENDING_COPY_BYTES = 1
PENDING_COPY_CODE = 2
PENDING_KECCAK = 3
PENDING_CODE_BUILD = 4
PENDING_CALL = 5
PENDING_EXIT = 6
PENDING_CREATE = 7
PENDING_SELFDESTRUCT = 8

KECCAK_FOR_STACK = 0
KECCAK_FOR_LOG = 1

BUILD_FOR_CREATE = 0
BUILD_FOR_CREATE2 = 1
BUILD_FOR_DEPLOY = 2
BUILD_FOR_TX_CREATE = 3

EXIT_SUCCESS = 0
EXIT_REVERT = 1
EXIT_HALT = 2

SINGLE_STEP_KECCAK_MAX_BYTES = 8 * KECCAK_RATE
"""KECCAK256 / LOG data / CREATE2 init code up to this size are hashed in one step."""


def copy_plan(dest_offset: int, length: int) -> list[tuple[int, int, int]]:
    """Sub-steps of a copy into memory: ``(dest_word, first_byte_in_word, byte_count)``.

    One sub-step per destination word touched; only the first and last may be partial.
    """
    plan = []
    pos, end = dest_offset, dest_offset + length
    while pos < end:
        word = pos // WORD
        start_in_word = pos % WORD
        count = min(WORD - start_in_word, end - pos)
        plan.append((word, start_in_word, count))
        pos += count
    return plan


class _Record:
    """Mixin: a record is committed as keccak of its fields, each one 32-byte word."""

    def encode(self) -> list[bytes]:
        return _encode(self)

    def hash(self) -> bytes:
        return hash_words(*self.encode())


@dataclass(slots=True)
class PendingCopy(_Record):
    """Between sub-steps of *COPY, MCOPY and the copy of call output into memory.

    ``source`` is a word-tree view (kind ``PENDING_COPY_BYTES``) or, for CODECOPY and
    EXTCODECOPY (kind ``PENDING_COPY_CODE``), ``(code_root, chunk count, 0, code_size)``.
    Each sub-step writes the destination word holding ``dest_offset``.
    """

    kind: int
    source: ByteView
    source_pos: int
    dest_offset: int
    remaining: int


@dataclass(slots=True)
class PendingKeccak(_Record):
    """Between sponge sub-steps over ``[offset, offset+remaining)`` of the frame's memory.

    ``purpose`` says what the last sub-step does with the digest: push it
    (KECCAK256) or append a log whose header hash is ``purpose_data`` (LOGn).
    """

    kind: int
    purpose: int
    offset: int
    remaining: int
    total_size: int
    sponge_commitment: bytes
    purpose_data: bytes


@dataclass(slots=True)
class PendingCodeBuild(_Record):
    """Between sub-steps that hash and/or chunk code held in a view.

    First ``hash_pos`` runs over the source in 136-byte blocks (only for CREATE2 and
    DEPLOY, otherwise it starts at the end), then ``chunk_pos`` in 31-byte chunks while
    ``push_carry`` tracks PUSH data running into the next chunk and
    ``builder_commitment`` the :class:`MerkleBuilder` frontier. ``purpose_data``
    commits the purpose-specific operands (see docs/commitment.md).
    """

    kind: int
    purpose: int
    source: ByteView
    hash_pos: int
    sponge_commitment: bytes
    chunk_pos: int
    push_carry: int
    builder_commitment: bytes
    purpose_data: bytes


@dataclass(slots=True)
class PendingCall(_Record):
    """Between the CALL-family opcode step (gas, checks) and the frame-entry sub-step."""

    kind: int
    call_kind: int
    gas: int
    target: bytes
    code_address: bytes
    value: int
    args_offset: int
    args_size: int
    return_offset: int
    return_size: int


@dataclass(slots=True)
class PendingCreate(_Record):
    """Between the last init-code build sub-step and the create frame's entry sub-step."""

    kind: int
    call_kind: int
    gas: int
    new_address: bytes
    value: int
    init_code_root: bytes
    init_code_size: int


@dataclass(slots=True)
class PendingSelfdestruct(_Record):
    """Between SELFDESTRUCT's gas step and its transfer-and-mark sub-step."""

    kind: int
    beneficiary: bytes


@dataclass(slots=True)
class PendingExit(_Record):
    """A halted frame waiting for the frame-exit step (status and output region)."""

    kind: int
    status: int
    output_offset: int
    output_size: int
