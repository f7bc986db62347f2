"""Fast mode only: compile hot straight-line runs of pure stack/arithmetic opcodes.

A *run* is a maximal sequence of instructions from :data:`PURE` (no memory, storage,
environment or gas/pc reads), optionally ending in JUMP or JUMPI. Such instructions
have static gas and no effect besides the stack and the pc, so executing the whole run
as one Python function that charges the summed gas up front, checks the stack ceiling
once, and then performs the stack operations with local variables gives the **same
final result** as executing them one by one: any out-of-gas, stack overflow or
underflow inside the run is an exceptional halt of the frame either way (all gas
consumed, the frame's changes reverted), and a valid run ends with identical stack,
gas and pc.

Runs start at pc 0, at JUMPDESTs and after every instruction that is not part of a
run. The analysis installs a counting stub at each start; after :data:`HOT_THRESHOLD`
executions the stub compiles the run (``exec`` of generated source) and replaces itself
in the code's dispatch list. Trace mode never uses the dispatch list, so every
instruction is still seen by the step hook there.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.evm import gas as G
from agents.evm.exceptions import InvalidJumpDestError, OutOfGasError, StackOverflowError
from agents.evm.vm import Frame

HOT_THRESHOLD = 16
MIN_RUN = 3
MAX_BLOCK = 64
MASK = (1 << 256) - 1

Block = Callable[[Frame], None]

# opcode -> (gas, stack items needed, net stack change)
PURE: dict[int, tuple[int, int, int]] = {
    0x01: (G.GAS_VERY_LOW, 2, -1),  # ADD
    0x02: (G.GAS_LOW, 2, -1),  # MUL
    0x03: (G.GAS_VERY_LOW, 2, -1),  # SUB
    0x10: (G.GAS_VERY_LOW, 2, -1),  # LT
    0x11: (G.GAS_VERY_LOW, 2, -1),  # GT
    0x14: (G.GAS_VERY_LOW, 2, -1),  # EQ
    0x15: (G.GAS_VERY_LOW, 1, 0),  # ISZERO
    0x16: (G.GAS_VERY_LOW, 2, -1),  # AND
    0x17: (G.GAS_VERY_LOW, 2, -1),  # OR
    0x18: (G.GAS_VERY_LOW, 2, -1),  # XOR
    0x19: (G.GAS_VERY_LOW, 1, 0),  # NOT
    0x1B: (G.GAS_VERY_LOW, 2, -1),  # SHL
    0x1C: (G.GAS_VERY_LOW, 2, -1),  # SHR
    0x50: (G.GAS_BASE, 1, -1),  # POP
    0x5B: (G.GAS_JUMPDEST, 0, 0),  # JUMPDEST
    0x5F: (G.GAS_BASE, 0, 1),  # PUSH0
}
for _n in range(1, 33):
    PURE[0x5F + _n] = (G.GAS_VERY_LOW, 0, 1)
for _n in range(1, 17):
    PURE[0x7F + _n] = (G.GAS_VERY_LOW, _n, 1)
    PURE[0x8F + _n] = (G.GAS_VERY_LOW, _n + 1, 0)

_BINARY = {
    0x01: "(a + b) & MASK",
    0x02: "(a * b) & MASK",
    0x03: "(a - b) & MASK",
    0x10: "1 if a < b else 0",
    0x11: "1 if a > b else 0",
    0x14: "1 if a == b else 0",
    0x16: "a & b",
    0x17: "a | b",
    0x18: "a ^ b",
    0x1B: "(b << a) & MASK if a < 256 else 0",
    0x1C: "b >> a if a < 256 else 0",
}


def compile_run(
    code: bytes, pcs: list[int], end: int, push_values: list[int], jumpdests: frozenset[int]
) -> Block:
    """Generate and ``exec`` one Python function executing the run ``pcs``."""
    total_gas = 0
    height = 0
    peak = 0
    lines = [
        "def block(evm):",
        "    stack = evm.stack",
        "    pop = stack.pop",
        "    push = stack.append",
    ]
    body: list[str] = []
    tail: list[str] = [f"    evm.pc = {end}"]
    for pc in pcs:
        op = code[pc]
        if op == 0x56:  # JUMP
            total_gas += G.GAS_MID
            tail = [
                "    dest = pop()",
                "    if dest not in JUMPDESTS:",
                "        raise InvalidJumpDestError",
                "    evm.pc = dest",
            ]
            height -= 1
            break
        if op == 0x57:  # JUMPI
            total_gas += G.GAS_HIGH
            tail = [
                "    dest = pop()",
                "    if pop():",
                "        if dest not in JUMPDESTS:",
                "            raise InvalidJumpDestError",
                "        evm.pc = dest",
                "    else:",
                f"        evm.pc = {end}",
            ]
            height -= 2
            break
        gas, _, delta = PURE[op]
        total_gas += gas
        if op == 0x5B:
            pass
        elif op == 0x5F:
            body.append("    push(0)")
        elif 0x60 <= op <= 0x7F:
            body.append(f"    push({push_values[pc]})")
        elif 0x80 <= op <= 0x8F:
            body.append(f"    push(stack[-{op - 0x7F}])")
        elif 0x90 <= op <= 0x9F:
            d = op - 0x8E
            body.append(f"    stack[-1], stack[-{d}] = stack[-{d}], stack[-1]")
        elif op == 0x50:
            body.append("    pop()")
        elif op == 0x15:
            body.append("    push(1 if pop() == 0 else 0)")
        elif op == 0x19:
            body.append("    push(MASK ^ pop())")
        else:
            body.append("    a = pop()")
            body.append("    b = pop()")
            body.append(f"    push({_BINARY[op]})")
        height += delta
        peak = max(peak, height)
    lines.append(f"    if len(stack) + {peak} > {G.STACK_LIMIT}:")
    lines.append("        raise StackOverflowError")
    lines.append(f"    gas_left = evm.gas_left - {total_gas}")
    lines.append("    if gas_left < 0:")
    lines.append("        raise OutOfGasError")
    lines.append("    evm.gas_left = gas_left")
    source = "\n".join(lines + body + tail) + "\n"
    namespace = {
        "MASK": MASK,
        "JUMPDESTS": jumpdests,
        "InvalidJumpDestError": InvalidJumpDestError,
        "OutOfGasError": OutOfGasError,
        "StackOverflowError": StackOverflowError,
    }
    exec(compile(source, f"<evm block @{pcs[0]}>", "exec"), namespace)  # noqa: S102
    block: Block = namespace["block"]  # type: ignore[assignment]
    return block


def _runs(code: bytes) -> list[tuple[list[int], int]]:
    """Maximal runs of the code as (instruction offsets, pc after the run), in one pass."""
    runs: list[tuple[list[int], int]] = []
    current: list[int] = []
    pc = 0
    n = len(code)
    while pc < n:
        op = code[pc]
        nxt = pc + 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
        if op in PURE:
            current.append(pc)
        elif op in (0x56, 0x57):
            current.append(pc)
            runs.append((current, nxt))
            current = []
        else:
            if current:
                runs.append((current, pc))
            current = []
        pc = nxt
    if current:
        runs.append((current, min(pc, n)))
    return runs


def install_stubs(
    code: bytes,
    dispatch: list[Block],
    push_values: list[int],
    jumpdests: frozenset[int],
) -> None:
    """Replace ``dispatch[start]`` by a counting stub at every run entry worth fusing.

    Entries are the first instruction of each maximal run and every JUMPDEST inside
    one. Linear in the code size (code made of JUMPDESTs only stays cheap).
    """
    for pcs, end in _runs(code):
        last = len(pcs)
        for i, pc in enumerate(pcs):
            if (i == 0 or pc in jumpdests) and last - i >= MIN_RUN:
                dispatch[pc] = _make_stub(code, pcs, i, end, dispatch, push_values, jumpdests)


def _make_stub(
    code: bytes,
    run: list[int],
    index: int,
    end: int,
    dispatch: list[Block],
    push_values: list[int],
    jumpdests: frozenset[int],
) -> Block:
    start = run[index]
    original = dispatch[start]
    count = [0]

    def stub(evm: Frame) -> None:
        count[0] += 1
        if count[0] >= HOT_THRESHOLD:
            pcs = run[index : index + MAX_BLOCK]
            block_end = end if index + MAX_BLOCK >= len(run) else run[index + MAX_BLOCK]
            block = compile_run(code, pcs, block_end, push_values, jumpdests)
            dispatch[start] = block
            block(evm)
        else:
            original(evm)

    return stub
