"""Reusable hypothesis strategies for differential tests of the rollup EVM.

Two families:

* **Bytecode programs** (:func:`programs`): small "valid-ish" EVM programs assembled
  from snippets that keep operands in sensible ranges (bounded memory offsets, short
  KECCAK256 / LOG / copy lengths, forward JUMPI skips with correct targets, bounded
  loops, CALL-family calls to precompiles / a helper contract / EOAs / self, CREATE and
  CREATE2 of small init codes, RETURN / REVERT / SELFDESTRUCT endings) mixed with raw
  opcodes and PUSHes, so that most programs run a while before they stop, and some hit
  every exceptional halt. :func:`random_bytecode` adds fully random byte strings.
* **Token call sequences** (:func:`erc20_calls`, :func:`erc721_calls`): lists of
  :class:`TokenCall` (sender index, function signature, ABI arguments) over a small set of
  actors, amounts and token ids, so that successes and failures (insufficient balance,
  missing approval, non-existent token, receiver rejection) are both frequent.

Nothing here depends on a particular EVM: the tests decide how to run what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

# --- fixed actors of the bytecode programs -------------------------------------------

# The transaction sender: the address of private key 1 (py-evm needs signed transactions).
CALLER_KEY = (1).to_bytes(32, "big")
CALLER = bytes.fromhex("7e5f4552091a69125d5dfcb7b8c2659029395bdf")
TARGET = bytes.fromhex("20" * 20)
HELPER = bytes.fromhex("30" * 20)
FUNDED_EOA = bytes.fromhex("40" * 20)
MISSING_ACCOUNT = bytes.fromhex("50" * 20)

# Opcodes grouped by family; 0x40 (BLOCKHASH) is included, the tests give both EVMs
# the same block-hash function.
ARITHMETIC = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B]
COMPARISON_BITWISE = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A]
SHIFTS = [0x1B, 0x1C, 0x1D]
ENVIRONMENT = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x38, 0x3A, 0x3B, 0x3D, 0x3F]
BLOCK = [0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A]
STACK_MEMORY_STORAGE = [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x58, 0x59, 0x5A, 0x5C, 0x5D, 0x5F]
DUPS_SWAPS = list(range(0x80, 0x90)) + list(range(0x90, 0xA0))
ALL_RAW_OPCODES = ARITHMETIC + COMPARISON_BITWISE + SHIFTS + ENVIRONMENT + BLOCK
ALL_RAW_OPCODES += STACK_MEMORY_STORAGE + DUPS_SWAPS

PRECOMPILE_ADDRESSES = [i.to_bytes(20, "big") for i in range(1, 11)]
CALL_TARGETS = [TARGET, HELPER, FUNDED_EOA, MISSING_ACCOUNT, CALLER, *PRECOMPILE_ADDRESSES]

STOP, JUMPDEST, JUMP, JUMPI = b"\x00", b"\x5b", b"\x56", b"\x57"


def push(value: int) -> bytes:
    """The shortest PUSH of ``value`` (PUSH0 for zero)."""
    if value == 0:
        return b"\x5f"
    length = (value.bit_length() + 7) // 8
    return bytes([0x5F + length]) + value.to_bytes(length, "big")


def push2(value: int) -> bytes:
    """PUSH2 of ``value`` (fixed width, used for jump targets patched after layout)."""
    return b"\x61" + value.to_bytes(2, "big")


@dataclass(frozen=True)
class Skip:
    """``if condition: skip body`` - assembled as ``cond PUSH2 end JUMPI body JUMPDEST``."""

    condition: bytes
    body: tuple[bytes | Skip | Loop, ...]


@dataclass(frozen=True)
class Loop:
    """Run the stack-neutral ``body`` ``count`` times (counter kept on the stack)."""

    count: int
    body: bytes


Piece = bytes | Skip | Loop


def assemble(pieces: list[Piece] | tuple[Piece, ...], start: int = 0) -> bytes:
    """Lay the pieces out from offset ``start``, resolving jump targets."""
    code = bytearray()
    for piece in pieces:
        here = start + len(code)
        if isinstance(piece, bytes):
            code += piece
        elif isinstance(piece, Skip):
            head_len = len(piece.condition) + 3 + 1  # cond, PUSH2 target, JUMPI
            body = assemble(piece.body, here + head_len)
            code += piece.condition + push2(here + head_len + len(body)) + JUMPI
            code += body + JUMPDEST
        else:
            # count; loop: JUMPDEST body PUSH1 1 SWAP1 SUB DUP1 PUSH2 loop JUMPI; POP
            head = push(piece.count)
            loop_start = here + len(head)
            code += head + JUMPDEST + piece.body
            code += b"\x60\x01\x90\x03\x80" + push2(loop_start) + JUMPI + b"\x50"
    return bytes(code)


# --- operand strategies --------------------------------------------------------------

small_ints = st.integers(min_value=0, max_value=64)
words = st.one_of(
    small_ints,
    st.integers(min_value=0, max_value=2**256 - 1),
    st.sampled_from([2**255, 2**256 - 1, 2**255 - 1, 2**128, 2**64 - 1, 31, 32, 255, 256]),
)
memory_offsets = st.integers(min_value=0, max_value=256)
short_lengths = st.integers(min_value=0, max_value=96)
storage_keys = st.integers(min_value=0, max_value=5)
addresses = st.sampled_from(CALL_TARGETS).map(lambda a: int.from_bytes(a, "big"))


def _pushes(*values: int) -> bytes:
    """Push ``values`` so that the first one ends on top of the stack."""
    return b"".join(push(v) for v in reversed(values))


@st.composite
def _memory_write(draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from([0x52, 0x53]))  # MSTORE / MSTORE8
    return _pushes(draw(memory_offsets), draw(words)) + bytes([op])


@st.composite
def _storage_write(draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from([0x55, 0x5D]))  # SSTORE / TSTORE
    value = draw(st.one_of(st.just(0), small_ints, words))
    return _pushes(draw(storage_keys), value) + bytes([op])


@st.composite
def _storage_read(draw: st.DrawFn) -> bytes:
    return _pushes(draw(storage_keys)) + bytes([draw(st.sampled_from([0x54, 0x5C]))])


@st.composite
def _keccak(draw: st.DrawFn) -> bytes:
    return _pushes(draw(memory_offsets), draw(short_lengths)) + b"\x20"


@st.composite
def _copy(draw: st.DrawFn) -> bytes:
    # CALLDATACOPY, CODECOPY, RETURNDATACOPY, MCOPY: (dest, src, len); EXTCODECOPY adds addr.
    op = draw(st.sampled_from([0x37, 0x39, 0x3E, 0x5E, 0x3C]))
    args = [draw(memory_offsets), draw(st.integers(0, 80)), draw(short_lengths)]
    if op == 0x3C:
        args.insert(0, draw(addresses))
    return _pushes(*args) + bytes([op])


@st.composite
def _log(draw: st.DrawFn) -> bytes:
    topic_count = draw(st.integers(0, 4))
    topics = [draw(words) for _ in range(topic_count)]
    return _pushes(draw(memory_offsets), draw(short_lengths), *topics) + bytes([0xA0 + topic_count])


@st.composite
def _call(draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from([0xF1, 0xF2, 0xF4, 0xFA]))  # CALL CALLCODE DELEGATECALL STATICCALL
    gas = draw(st.one_of(st.integers(0, 30_000), st.just(2**256 - 1)))
    address = draw(addresses)
    in_offset, in_size = draw(memory_offsets), draw(short_lengths)
    out_offset, out_size = draw(memory_offsets), draw(short_lengths)
    args = [address, in_offset, in_size, out_offset, out_size]
    if op in (0xF1, 0xF2):
        args.insert(1, draw(st.sampled_from([0, 0, 1, 1000, 10**30])))  # value
    gas_push = b"\x5a" if gas == 2**256 - 1 else push(gas)  # GAS: all that is left
    return _pushes(*args) + gas_push + bytes([op])


@st.composite
def init_codes(draw: st.DrawFn) -> bytes:
    """Init code that stores a slot, maybe reverts, and returns a short runtime code."""
    runtime = draw(st.one_of(st.binary(max_size=12), st.just(b"\x60\x01\x60\x00\x55\x00")))
    if draw(st.booleans()) and runtime:
        runtime = bytes([0xEF]) + runtime[1:] if draw(st.booleans()) else runtime  # EIP-3541
    body = _pushes(draw(storage_keys), draw(small_ints)) + b"\x55"  # SSTORE
    ending = draw(st.sampled_from([b"\xf3", b"\xfd"]))  # RETURN / REVERT
    # CODECOPY the runtime (appended after the init code) to memory 0, then end with it.
    runtime_offset = len(body) + 10
    code = body + b"\x60" + bytes([len(runtime)]) + b"\x60" + bytes([runtime_offset])
    code += b"\x5f\x39"  # PUSH0 (dest) CODECOPY
    code += b"\x60" + bytes([len(runtime)]) + b"\x5f" + ending
    assert len(code) == runtime_offset
    return code + runtime


@st.composite
def _create(draw: st.DrawFn) -> bytes:
    init = draw(init_codes())
    # Write the init code into memory at 0 in 32-byte words, then CREATE / CREATE2.
    pieces = bytearray()
    padded = init + b"\x00" * (-len(init) % 32)
    for index in range(0, len(padded), 32):
        pieces += b"\x7f" + padded[index : index + 32] + push(index) + b"\x52"
    value = draw(st.sampled_from([0, 0, 1, 10**30]))
    if draw(st.booleans()):
        pieces += _pushes(value, 0, len(init)) + b"\xf0"
    else:
        pieces += _pushes(value, 0, len(init), draw(st.integers(0, 3))) + b"\xf5"
    return bytes(pieces)


@st.composite
def _ending(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["return", "revert", "stop", "invalid", "selfdestruct"]))
    if kind in ("return", "revert"):
        op = 0xF3 if kind == "return" else 0xFD
        return _pushes(draw(memory_offsets), draw(short_lengths)) + bytes([op])
    if kind == "selfdestruct":
        return _pushes(draw(addresses)) + b"\xff"
    return STOP if kind == "stop" else b"\xfe"


simple_pieces: st.SearchStrategy[bytes] = st.one_of(
    small_ints.map(push),
    words.map(lambda v: b"\x7f" + v.to_bytes(32, "big")),
    st.sampled_from(ALL_RAW_OPCODES).map(lambda op: bytes([op])),
    _memory_write(),
    _storage_write(),
    _storage_read(),
    _keccak(),
    _copy(),
    _log(),
    _call(),
    _create(),
    st.tuples(st.integers(0, 40), words).map(lambda cw: push(cw[1]) + push(cw[0]) + b"\x35\x01"),
    st.integers(0, 300).map(lambda t: push2(t) + JUMP),  # mostly an invalid destination
)
stack_neutral_pieces = st.one_of(
    _memory_write(), _storage_write(), _log(), _keccak().map(lambda b: b + b"\x50")
)


@st.composite
def _skip(draw: st.DrawFn) -> Skip:
    condition = draw(st.one_of(st.sampled_from([b"\x5f", b"\x60\x01"]), st.just(b"\x5f\x35")))
    body = draw(st.lists(simple_pieces, min_size=1, max_size=4))
    return Skip(condition, tuple(body))


@st.composite
def _loop(draw: st.DrawFn) -> Loop:
    body = b"".join(draw(st.lists(stack_neutral_pieces, min_size=1, max_size=3)))
    return Loop(draw(st.integers(1, 12)), body)


@st.composite
def programs(draw: st.DrawFn, max_pieces: int = 24) -> bytes:
    """A structured random program: snippets, skips and loops, then an ending."""
    piece_strategy = st.one_of(simple_pieces, simple_pieces, simple_pieces, _skip(), _loop())
    # A few seed words first, so that raw opcodes do not all stop at a stack underflow.
    seed = b"".join(push(value) for value in draw(st.lists(words, max_size=6)))
    pieces: list[Piece] = [seed]
    pieces += draw(st.lists(piece_strategy, min_size=1, max_size=max_pieces))
    pieces.append(draw(_ending()))
    return assemble(pieces)


def random_bytecode(max_size: int = 64) -> st.SearchStrategy[bytes]:
    """Fully random bytes (mostly invalid or short-lived programs)."""
    return st.binary(min_size=1, max_size=max_size)


def any_bytecode() -> st.SearchStrategy[bytes]:
    """Structured programs most of the time, raw random bytes sometimes."""
    return st.one_of(programs(), programs(), programs(), random_bytecode())


@dataclass(frozen=True)
class ProgramCase:
    """One bytecode differential case: code, helper code, calldata, value, pre-storage."""

    code: bytes
    helper_code: bytes
    calldata: bytes
    value: int
    target_storage: dict[int, int]
    target_balance: int


@st.composite
def program_cases(draw: st.DrawFn) -> ProgramCase:
    """A full case: the program, a helper contract it may call, calldata and pre-state."""
    return ProgramCase(
        code=draw(any_bytecode()),
        helper_code=draw(st.one_of(programs(max_pieces=6), st.just(b""))),
        calldata=draw(st.binary(max_size=72)),
        value=draw(st.sampled_from([0, 0, 0, 7, 10**18])),
        target_storage=draw(st.dictionaries(storage_keys, st.integers(1, 2**256 - 1), max_size=3)),
        target_balance=draw(st.sampled_from([0, 5, 10**18])),
    )


# --- token call sequences -------------------------------------------------------------

ACTOR_COUNT = 3  # EOAs 0..2; index 3 is the ERC-721 receiver contract (never a sender)
RECEIVER_INDEX = 3


@dataclass(frozen=True)
class TokenCall:
    """``sender`` (an EOA index) calls ``signature`` on a token with ``args``.

    Arguments of ABI type ``address`` are actor indices (``RECEIVER_INDEX`` is the
    receiver contract, ``-1`` the zero address); the test maps them to addresses.
    """

    sender: int
    signature: str
    args: tuple[object, ...]


senders = st.integers(0, ACTOR_COUNT - 1)
holders = st.sampled_from([0, 1, 2, RECEIVER_INDEX, -1])
amounts = st.one_of(
    st.integers(0, 50), st.sampled_from([0, 1, 5, 100, 10**18, 2**256 - 1]), st.integers(0, 1000)
)
# Mostly a handful of ids so that calls hit minted tokens; the receiver rejects ids
# divisible by 7 (0, 7, 14).
token_ids = st.one_of(st.integers(1, 4), st.integers(1, 4), st.integers(0, 15))


def _call_of(
    signature: str, *arg_strategies: st.SearchStrategy[object]
) -> st.SearchStrategy[TokenCall]:
    return st.builds(
        lambda sender, args: TokenCall(sender, signature, tuple(args)),
        senders,
        st.tuples(*arg_strategies),
    )


def _owner_call_of(
    signature: str, *arg_strategies: st.SearchStrategy[object]
) -> st.SearchStrategy[TokenCall]:
    """Like :func:`_call_of` with the sender as the first (``from``) argument."""
    return st.builds(
        lambda sender, args: TokenCall(sender, signature, (sender, *args)),
        senders,
        st.tuples(*arg_strategies),
    )


def with_opening(
    opening: st.SearchStrategy[list[TokenCall]], calls: st.SearchStrategy[list[TokenCall]]
) -> st.SearchStrategy[list[TokenCall]]:
    """``opening`` (e.g. a few mints to the EOAs, so later calls can succeed), then ``calls``."""
    return st.tuples(opening, calls).map(lambda parts: parts[0] + parts[1])


def erc20_calls(max_size: int = 14) -> st.SearchStrategy[list[TokenCall]]:
    """Sequences of ERC-20 calls (mint, transfer, approve, transferFrom, burns, views)."""
    call = st.one_of(
        _call_of("mint(address,uint256)", holders, amounts),
        _call_of("transfer(address,uint256)", holders, amounts),
        _call_of("approve(address,uint256)", holders, amounts),
        _call_of("transferFrom(address,address,uint256)", holders, holders, amounts),
        _call_of("burn(uint256)", amounts),
        _call_of("burnFrom(address,uint256)", holders, amounts),
        _call_of("balanceOf(address)", holders),
        _call_of("allowance(address,address)", holders, holders),
        _call_of("totalSupply()"),
    )
    opening_mints = st.lists(
        st.builds(
            lambda owner, amount: TokenCall(0, "mint(address,uint256)", (owner, amount)),
            senders,
            st.integers(1, 10**6),
        ),
        max_size=3,
    )
    return with_opening(opening_mints, st.lists(call, min_size=1, max_size=max_size))


def erc721_calls(max_size: int = 14) -> st.SearchStrategy[list[TokenCall]]:
    """Sequences of ERC-721 calls, including safe transfers to an EOA and to a receiver."""
    call = st.one_of(
        _call_of("mint(address,uint256)", holders, token_ids),
        _call_of("safeMint(address,uint256)", holders, token_ids),
        _call_of("transferFrom(address,address,uint256)", holders, holders, token_ids),
        _call_of("safeTransferFrom(address,address,uint256)", holders, holders, token_ids),
        _call_of(
            "safeTransferFrom(address,address,uint256,bytes)",
            holders,
            holders,
            token_ids,
            st.binary(max_size=40),
        ),
        _owner_call_of("transferFrom(address,address,uint256)", holders, token_ids),
        _owner_call_of("safeTransferFrom(address,address,uint256)", holders, token_ids),
        _call_of("approve(address,uint256)", holders, token_ids),
        _call_of("setApprovalForAll(address,bool)", holders, st.booleans()),
        _call_of("burn(uint256)", token_ids),
        _call_of("ownerOf(uint256)", token_ids),
        _call_of("getApproved(uint256)", token_ids),
        _call_of("balanceOf(address)", holders),
        _call_of("tokenURI(uint256)", token_ids),
    )
    opening_mints = st.lists(
        st.builds(
            lambda owner, token_id: TokenCall(0, "mint(address,uint256)", (owner, token_id)),
            senders,
            st.integers(1, 4),
        ),
        max_size=4,
    )
    return with_opening(opening_mints, st.lists(call, min_size=1, max_size=max_size))
