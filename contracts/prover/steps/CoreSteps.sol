// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepClass} from "./IStepClass.sol";
import {
    StepProof,
    StepLib,
    RangeOpening,
    SmtOpening,
    BadChunkOpening,
    BadSmtOpening,
    BadRangeOpening,
    BadStackItemCount,
    ExceptionalHalt,
    StepClassNotSupported
} from "./StepProof.sol";
import {MachineHash} from "../lib/MachineHash.sol";
import {WordTree} from "../lib/WordTree.sol";
import {SparseMerkle} from "../lib/SparseMerkle.sol";
import {CodeChunks} from "../lib/CodeChunks.sol";
import {StackHash} from "../lib/StackHash.sol";
import {KeccakSponge} from "../lib/KeccakSponge.sol";

/// @title CoreSteps
/// @notice The stack, arithmetic, control-flow, memory and environment instructions of the
///         rollup EVM (Cancun gas), one instruction per call: arithmetic (0x01-0x0b),
///         comparison and bitwise (0x10-0x1d), KECCAK256 (one step up to 1088 bytes; the
///         opcode step of longer inputs records `PendingKeccak`), ADDRESS, CALLER,
///         CALLVALUE, CALLDATALOAD, CALLDATASIZE, RETURNDATASIZE, the `TxEnv` opcodes
///         (ORIGIN, GASPRICE, COINBASE, TIMESTAMP, NUMBER, PREVRANDAO, GASLIMIT, CHAINID,
///         BASEFEE, BLOBBASEFEE), POP, MLOAD, MSTORE, MSTORE8, JUMP, JUMPI, PC, MSIZE,
///         GAS, JUMPDEST, PUSH0-PUSH32, DUP1-DUP16, SWAP1-SWAP16.
/// @dev Post-states are exactly `agents/evm/trace.py`'s. Exceptional halts revert with
///      `ExceptionalHalt`; other opcodes with `StepClassNotSupported`.
contract CoreSteps is IStepClass {
    /// @notice Inputs up to this many bytes are hashed in the opcode step itself.
    uint256 internal constant SINGLE_STEP_KECCAK_MAX_BYTES = 1088;

    /// @notice Exit statuses of `PendingExit`.
    uint256 internal constant EXIT_SUCCESS = 0;
    uint256 internal constant EXIT_REVERT = 1;
    uint256 internal constant EXIT_HALT = 2;

    /// @inheritdoc IStepClass
    /// @dev Runs the instruction in a self-call so that an exceptional halt detected
    ///      anywhere in it (`ExceptionalHalt`, raised only after the condition
    ///      was shown from opened data) becomes the halt transition; any other revert
    ///      propagates unchanged.
    function run(bytes calldata proof, bytes32 preState) external view returns (bytes32) {
        try this.execute(proof, preState) returns (bytes32 postState) {
            return postState;
        } catch (bytes memory reason) {
            if (reason.length != 36 || bytes4(reason) != ExceptionalHalt.selector) {
                /// @solidity memory-safe-assembly
                assembly {
                    revert(add(reason, 0x20), mload(reason))
                }
            }
            return _halt(proof, preState);
        }
    }

    /// @notice The exceptional-halt transition: the frame keeps its pre-instruction pc,
    ///         stack and memory, its gas becomes 0 and it records `PendingExit(HALT, 0, 0)`.
    function _halt(bytes calldata proof, bytes32 preState) private pure returns (bytes32) {
        StepProof calldata p = StepLib.decode(proof);
        (MachineHash.MachineState memory m, MachineHash.Frame memory f) = StepLib.open(p, preState);
        f.gas = 0;
        f.pendingOp = _exitRecord(EXIT_HALT, 0, 0);
        return StepLib.commit(m, f);
    }

    function _exitRecord(uint256 status, uint256 offset, uint256 size) private pure returns (bytes32) {
        return MachineHash.hash(MachineHash.PendingExit(MachineHash.PENDING_EXIT, status, offset, size));
    }

    /// @notice Execute the instruction (the body of `run`; reverts on a halt).
    /// @param proof `abi.encode(StepProof)`.
    /// @param preState The committed machine state before the step.
    /// @return The committed machine state after the step.
    function execute(bytes calldata proof, bytes32 preState) external pure returns (bytes32) {
        StepProof calldata p = StepLib.decode(proof);
        (MachineHash.MachineState memory m, MachineHash.Frame memory f) = StepLib.open(p, preState);
        (uint256 op, bytes32 chunk) = StepLib.opcode(p, f);
        if (op == 0x00) {
            // STOP (also past the end of the code): success, no output, pc + 1.
            StepLib.openStack(p, f, 0, op);
            f.pc += 1;
            f.pendingOp = _exitRecord(EXIT_SUCCESS, 0, 0);
            return StepLib.commit(m, f);
        }
        if (op >= 0x60 && op <= 0x7f) {
            _push(p, f, chunk, op);
            return StepLib.commit(m, f);
        }
        if (op != 0x56 && op != 0x57) {
            // INVARIANT: only PUSHn and jumps open more than the instruction's own chunk.
            if (p.chunks.length != 1) revert BadChunkOpening(0, p.chunks.length);
        }
        if ((op >= 0x01 && op <= 0x0b) || (op >= 0x10 && op <= 0x1d)) {
            _arithmetic(p, f, op);
        } else if (op >= 0x80 && op <= 0x8f) {
            _dup(p, f, op);
        } else if (op >= 0x90 && op <= 0x9f) {
            _swap(p, f, op);
        } else if (op == 0x56 || op == 0x57) {
            _jump(p, f, op);
        } else if (op == 0x51 || op == 0x52 || op == 0x53) {
            _memoryAccess(p, f, op);
        } else if (op == 0x20) {
            _keccak(p, f);
        } else if (op == 0x35) {
            _calldataload(p, f);
        } else if (op == 0x30 || op == 0x33 || op == 0x34 || op == 0x36 || op == 0x3d) {
            _frameEnv(p, f, op);
        } else if (
            op == 0x32 || op == 0x3a || (op >= 0x41 && op <= 0x46) || op == 0x48 || op == 0x4a
        ) {
            _txEnv(p, m, f, op);
        } else if (op == 0x50) {
            bytes32 below = StepLib.openStack(p, f, 1, op);
            StepLib.charge(f, 2, op);
            _next(f, below, f.stackSize - 1);
        } else if (op == 0x58 || op == 0x59 || op == 0x5a || op == 0x5f) {
            _pushValue(p, f, op);
        } else if (op == 0x5b) {
            bytes32 below = StepLib.openStack(p, f, 0, op);
            StepLib.charge(f, 1, op);
            _next(f, below, f.stackSize);
        } else if (op == 0x40 || op == 0x49) {
            _envArray(p, m, f, op);
        } else if (op == 0x37 || op == 0x39 || op == 0x3e || op == 0x5e) {
            _copy(p, f, op);
        } else if (op == 0x5c || op == 0x5d) {
            _transient(p, m, f, op);
        } else if (op >= 0xa0 && op <= 0xa4) {
            _log(p, m, f, op);
        } else if (op == 0xf3 || op == 0xfd) {
            _returnOrRevert(p, f, op);
        } else if (!_defined(op)) {
            // INVARIANT: INVALID (0xFE) and undefined opcodes halt exceptionally.
            revert ExceptionalHalt(op);
        } else {
            revert StepClassNotSupported(op);
        }
        return StepLib.commit(m, f);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       STACK AND FLOW                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev Advance `pc` by one with the stack `(stackHash, stackSize)`.
    function _next(MachineHash.Frame memory f, bytes32 stackHash, uint256 stackSize) private pure {
        f.stackHash = stackHash;
        f.stackSize = stackSize;
        f.pc += 1;
    }

    /// @dev Push `value` onto `below` (which holds `size` items) and advance `pc`.
    function _pushOnto(MachineHash.Frame memory f, bytes32 below, uint256 size, uint256 value, uint256 op)
        private
        pure
    {
        // INVARIANT: a stack overflow is an exceptional halt (not covered).
        if (size + 1 > StepLib.STACK_LIMIT) revert ExceptionalHalt(op);
        _next(f, StackHash.push(below, value), size + 1);
    }

    function _arithmetic(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        uint256 n = (op == 0x08 || op == 0x09) ? 3 : (op == 0x15 || op == 0x19) ? 1 : 2;
        bytes32 below = StepLib.openStack(p, f, n, op);
        uint256 a = p.stack[0];
        uint256 b = n > 1 ? p.stack[1] : 0;
        uint256 c = n > 2 ? p.stack[2] : 0;
        uint256 cost;
        if (op == 0x0a) {
            // EXP: 10 + 50 per byte of the exponent.
            cost = 10 + 50 * ((_bitLength(b) + 7) / 8);
        } else if (op == 0x08 || op == 0x09) {
            cost = 8;
        } else if (op >= 0x02 && op <= 0x0b && op != 0x03) {
            cost = 5;
        } else {
            cost = 3;
        }
        StepLib.charge(f, cost, op);
        uint256 r;
        /// @solidity memory-safe-assembly
        assembly {
            switch op
            case 0x01 { r := add(a, b) }
            case 0x02 { r := mul(a, b) }
            case 0x03 { r := sub(a, b) }
            case 0x04 { r := div(a, b) }
            case 0x05 { r := sdiv(a, b) }
            case 0x06 { r := mod(a, b) }
            case 0x07 { r := smod(a, b) }
            case 0x08 { r := addmod(a, b, c) }
            case 0x09 { r := mulmod(a, b, c) }
            case 0x0a { r := exp(a, b) }
            case 0x0b { r := signextend(a, b) }
            case 0x10 { r := lt(a, b) }
            case 0x11 { r := gt(a, b) }
            case 0x12 { r := slt(a, b) }
            case 0x13 { r := sgt(a, b) }
            case 0x14 { r := eq(a, b) }
            case 0x15 { r := iszero(a) }
            case 0x16 { r := and(a, b) }
            case 0x17 { r := or(a, b) }
            case 0x18 { r := xor(a, b) }
            case 0x19 { r := not(a) }
            case 0x1a { r := byte(a, b) }
            case 0x1b { r := shl(a, b) }
            case 0x1c { r := shr(a, b) }
            default { r := sar(a, b) }
        }
        // Net stack change <= 0: no overflow possible.
        _next(f, StackHash.push(below, r), f.stackSize - n + 1);
    }

    function _bitLength(uint256 x) private pure returns (uint256 n) {
        while (x != 0) {
            x >>= 1;
            n += 1;
        }
    }

    /// @dev PUSH1..PUSH32: data from the opcode's chunk and the following chunks that hold
    ///      data bytes inside the code (bytes past the code read as zero).
    function _push(StepProof calldata p, MachineHash.Frame memory f, bytes32 chunk, uint256 op) private pure {
        bytes32 below = StepLib.openStack(p, f, 0, op);
        StepLib.charge(f, 3, op);
        uint256 n = op - 0x5f;
        uint256 index = f.pc / CodeChunks.CHUNK_DATA;
        uint256 lastByte = f.pc + n < f.codeSize ? f.pc + n : f.codeSize - 1;
        uint256 extra = lastByte / CodeChunks.CHUNK_DATA - index;
        // INVARIANT: exactly the chunks holding in-code PUSH data are opened.
        if (p.chunks.length != 1 + extra) revert BadChunkOpening(index + extra, p.chunks.length);
        bytes32 next1 = extra >= 1 ? StepLib.openChunkAt(p, f, 1, index + 1) : bytes32(0);
        bytes32 next2 = extra >= 2 ? StepLib.openChunkAt(p, f, 2, index + 2) : bytes32(0);
        (, uint256 value) = CodeChunks.pushData(chunk, next1, next2, f.pc);
        if (f.stackSize + 1 > StepLib.STACK_LIMIT) revert ExceptionalHalt(op);
        f.stackHash = StackHash.push(below, value);
        f.stackSize += 1;
        f.pc += 1 + n;
    }

    function _dup(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        uint256 n = op - 0x7f;
        StepLib.openStack(p, f, n, op);
        StepLib.charge(f, 3, op);
        if (f.stackSize + 1 > StepLib.STACK_LIMIT) revert ExceptionalHalt(op);
        _next(f, StackHash.push(f.stackHash, p.stack[n - 1]), f.stackSize + 1);
    }

    function _swap(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        uint256 n = op - 0x8f;
        if (f.stackSize < n + 1) revert ExceptionalHalt(op);
        StepLib.charge(f, 3, op);
        // INVARIANT: SWAPn opens exactly n + 1 items.
        if (p.stack.length != n + 1) revert BadStackItemCount(n + 1, p.stack.length);
        _next(f, StackHash.swap(f.stackHash, p.stackBelow, p.stack), f.stackSize);
    }

    function _jump(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        bool conditional = op == 0x57;
        bytes32 below = StepLib.openStack(p, f, conditional ? 2 : 1, op);
        StepLib.charge(f, conditional ? 10 : 8, op);
        uint256 target = p.stack[0];
        bool inCode = target < f.codeSize;
        // INVARIANT: the target's chunk is opened exactly when the target lies in the code.
        if (p.chunks.length != (inCode ? 2 : 1)) revert BadChunkOpening(target / CodeChunks.CHUNK_DATA, p.chunks.length);
        bytes32 targetChunk = inCode ? StepLib.openChunkAt(p, f, 1, target / CodeChunks.CHUNK_DATA) : bytes32(0);
        uint256 size = f.stackSize - (conditional ? 2 : 1);
        if (conditional && p.stack[1] == 0) {
            _next(f, below, size);
            return;
        }
        // INVARIANT: an invalid jump destination is an exceptional halt (not covered).
        if (!inCode || !CodeChunks.isValidJumpTarget(targetChunk, target, f.codeSize)) {
            revert ExceptionalHalt(op);
        }
        f.stackHash = below;
        f.stackSize = size;
        f.pc = target;
    }

    /// @dev PC, MSIZE, GAS, PUSH0: base cost 2, push a frame value.
    function _pushValue(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        bytes32 below = StepLib.openStack(p, f, 0, op);
        StepLib.charge(f, 2, op);
        uint256 value;
        if (op == 0x58) value = f.pc;
        else if (op == 0x59) value = f.memoryWords * 32;
        else if (op == 0x5a) value = f.gas;
        _pushOnto(f, below, f.stackSize, value, op);
    }

    /// @dev RETURN / REVERT: pop the output region, pay and perform its expansion, keep
    ///      pc, record `PendingExit(SUCCESS | REVERT, offset, size)`.
    function _returnOrRevert(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        bytes32 below = StepLib.openStack(p, f, 2, op);
        uint256 offset = p.stack[0];
        uint256 size = p.stack[1];
        _expand(f, offset, size, 0, op);
        f.stackHash = below;
        f.stackSize -= 2;
        f.pendingOp = _exitRecord(op == 0xf3 ? EXIT_SUCCESS : EXIT_REVERT, offset, size);
    }

    /// @dev BLOCKHASH (20 gas; one of the 256 previous blocks, else 0) and BLOBHASH (3
    ///      gas; the transaction's i-th versioned hash, else 0): a leaf of `TxEnv`'s
    ///      `blockHashesRoot` (leaf i = block `number - 256 + i`) or `blobHashesRoot`,
    ///      opened by `cdata` (one word) only when the answer is in range.
    function _envArray(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f, uint256 op)
        private
        pure
    {
        bytes32 below = StepLib.openStack(p, f, 1, op);
        StepLib.charge(f, op == 0x40 ? 20 : 3, op);
        MachineHash.TxEnv memory e = StepLib.txEnv(p, m);
        uint256 x = p.stack[0];
        bool inRange;
        uint256 index;
        bytes32 root;
        uint256 count;
        if (op == 0x40) {
            inRange = x < e.number && x + 256 >= e.number;
            index = inRange ? x + 256 - e.number : 0;
            (root, count) = (e.blockHashesRoot, 256);
        } else {
            inRange = x < e.blobHashCount;
            index = x;
            (root, count) = (e.blobHashesRoot, e.blobHashCount);
        }
        uint256 value;
        if (!inRange) {
            // INVARIANT: an out-of-range query reads nothing.
            if (p.cdata.length != 0) revert BadRangeOpening(2);
        } else {
            // INVARIANT: exactly the queried leaf is opened, under the committed root.
            if (p.cdata.length != 1) revert BadRangeOpening(2);
            RangeOpening calldata r = p.cdata[0];
            if (r.first != index || r.words.length != 1) revert BadRangeOpening(2);
            bytes32[] memory words = r.words;
            if (!WordTree.verifyRange(root, count, index, words, r.proof)) revert BadRangeOpening(2);
            value = uint256(words[0]);
        }
        _next(f, StackHash.push(below, value), f.stackSize);
    }

    /// @dev CALLDATACOPY, CODECOPY, RETURNDATACOPY, MCOPY: all gas (3 + 3 per word +
    ///      expansion), growth and (RETURNDATACOPY) the bounds check happen here; a copy of
    ///      n > 0 bytes records `PendingCopy(source view, sourcePos, dest, n)` for the
    ///      `CopySteps` sub-steps. MCOPY's source is a view on the whole grown memory.
    function _copy(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        bytes32 below = StepLib.openStack(p, f, 3, op);
        uint256 dest = p.stack[0];
        uint256 source = p.stack[1];
        uint256 size = p.stack[2];
        // INVARIANT: copies beyond 4 GiB cost more gas than any frame holds.
        if (size > type(uint32).max) revert ExceptionalHalt(op);
        uint256 cost = 3 + 3 * ((size + 31) / 32);
        if (op == 0x5e && size != 0) {
            uint256 words = StepLib.wordsFor(f.memoryWords, dest > source ? dest : source, size);
            if (words == type(uint256).max) revert ExceptionalHalt(op);
            StepLib.charge(f, cost + StepLib.expansionCost(f.memoryWords, words), op);
            StepLib.grow(f, words);
        } else {
            _expand(f, dest, size, cost, op);
        }
        uint256[4] memory view_;
        if (op == 0x37 || op == 0x3e) {
            MachineHash.FrameContext memory c = StepLib.frameContext(p, f);
            view_ = op == 0x37
                ? [uint256(c.calldataRoot), c.calldataTreeWords, c.calldataOffset, c.calldataLength]
                : [uint256(c.returndataRoot), c.returndataTreeWords, c.returndataOffset, c.returndataLength];
            // INVARIANT: reading past the return data is an exceptional halt (EIP-211).
            if (op == 0x3e && (source > c.returndataLength || size > c.returndataLength - source)) {
                revert ExceptionalHalt(op);
            }
        } else if (op == 0x39) {
            view_ = [uint256(f.codeRoot), CodeChunks.chunkCount(f.codeSize), 0, f.codeSize];
        } else {
            view_ = [uint256(f.memoryRoot), f.memoryWords, 0, f.memoryWords * 32];
        }
        if (size != 0) {
            f.pendingOp = MachineHash.hash(
                MachineHash.PendingCopy({
                    kind: op == 0x39 ? MachineHash.PENDING_COPY_CODE : MachineHash.PENDING_COPY_BYTES,
                    sourceRoot: bytes32(view_[0]),
                    sourceTreeWords: view_[1],
                    sourceOffset: view_[2],
                    sourceLength: view_[3],
                    sourcePos: source,
                    destOffset: dest,
                    remaining: size
                })
            );
        }
        _next(f, below, f.stackSize - 3);
    }

    /// @dev TLOAD / TSTORE (EIP-1153): 100 gas; the slot `self ‖ key` of the transient
    ///      SMT in `TxContext` (zero values absent), opened by `smt[0]`.
    function _transient(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f, uint256 op)
        private
        pure
    {
        bool store = op == 0x5d;
        bytes32 below = StepLib.openStack(p, f, store ? 2 : 1, op);
        StepLib.charge(f, 100, op);
        MachineHash.FrameContext memory c = StepLib.frameContext(p, f);
        // INVARIANT: a transient write in a static frame is an exceptional halt.
        if (store && c.isStatic) revert ExceptionalHalt(op);
        MachineHash.TxContext memory t = StepLib.txContext(p, m);
        // INVARIANT: exactly one opening: the transient slot.
        if (p.smt.length != 1) revert BadSmtOpening(3);
        SmtOpening calldata o = p.smt[0];
        bytes32 path = SparseMerkle.pathOfAddressSlot(c.self, bytes32(p.stack[0]));
        // INVARIANT: the opening proves the slot's value (or absence) in the transient tree.
        if (!SparseMerkle.verify(t.transientStorage, path, o.present, o.value, o.proof)) revert BadSmtOpening(3);
        uint256 current = o.present ? uint256(o.value) : 0;
        if (!store) {
            _next(f, StackHash.push(below, current), f.stackSize);
            return;
        }
        uint256 value = p.stack[1];
        t.transientStorage =
            SparseMerkle.rootAfterUpdate(t.transientStorage, path, o.present, o.value, value != 0, bytes32(value), o.proof);
        m.txContextHash = MachineHash.hash(t);
        _next(f, below, f.stackSize - 2);
    }

    /// @dev LOG0..LOG4: gas, memory growth, static check; data up to 1088 bytes is hashed
    ///      here and the log appended to `TxContext`; longer data records
    ///      `PendingKeccak(purpose = 1, purposeData = header)` for sponge sub-steps.
    function _log(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f, uint256 op)
        private
        pure
    {
        uint256 n = op - 0xa0;
        bytes32 below = StepLib.openStack(p, f, 2 + n, op);
        uint256 offset = p.stack[0];
        uint256 size = p.stack[1];
        // INVARIANT: data beyond 4 GiB costs more than any frame's gas (an out-of-gas halt).
        if (size > type(uint32).max) revert ExceptionalHalt(op);
        StepLib.charge(f, 375 + 375 * n + 8 * size, op);
        _expand(f, offset, size, 0, op);
        MachineHash.FrameContext memory c = StepLib.frameContext(p, f);
        // INVARIANT: a log in a static frame is an exceptional halt.
        if (c.isStatic) revert ExceptionalHalt(op);
        bytes32[] memory topics = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            topics[i] = bytes32(p.stack[2 + i]);
        }
        bytes32 header = MachineHash.logHeader(c.self, topics);
        if (size > SINGLE_STEP_KECCAK_MAX_BYTES) {
            // INVARIANT: the opcode step of long log data reads no memory.
            if (p.mem.length != 0) revert BadRangeOpening(1);
            f.pendingOp = MachineHash.hash(
                MachineHash.PendingKeccak({
                    kind: MachineHash.PENDING_KECCAK,
                    purpose: 1,
                    offset: offset,
                    remaining: size,
                    totalSize: size,
                    spongeCommitment: KeccakSponge.initialCommitment(),
                    purposeData: header
                })
            );
        } else {
            MachineHash.TxContext memory t = StepLib.txContext(p, m);
            bytes32 dataHash = _memoryHash(p, f, offset, size);
            t.logsHash = MachineHash.logsAccumulate(t.logsHash, MachineHash.logEntry(header, size, dataHash));
            t.logCount += 1;
            m.txContextHash = MachineHash.hash(t);
        }
        _next(f, below, f.stackSize - 2 - n);
    }

    /// @dev keccak256 of memory `[offset, offset + size)` from the single memory opening.
    function _memoryHash(StepProof calldata p, MachineHash.Frame memory f, uint256 offset, uint256 size)
        private
        pure
        returns (bytes32 digest)
    {
        if (size == 0) {
            // INVARIANT: empty data opens no memory.
            if (p.mem.length != 0) revert BadRangeOpening(1);
            return keccak256("");
        }
        bytes32[] memory data = StepLib.openMemory(p, f, offset / 32, (offset + size - 1) / 32);
        uint256 shift = offset % 32;
        /// @solidity memory-safe-assembly
        assembly {
            digest := keccak256(add(add(data, 0x20), shift), size)
        }
    }

    /// @dev Whether `op` is an instruction of Cancun (0xFE INVALID counts as undefined).
    function _defined(uint256 op) private pure returns (bool) {
        return op <= 0x0b || (op >= 0x10 && op <= 0x1d) || op == 0x20 || (op >= 0x30 && op <= 0x4a)
            || (op >= 0x50 && op <= 0xa4) || (op >= 0xf0 && op <= 0xf5) || op == 0xfa || op == 0xfd || op == 0xff;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           MEMORY                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev Charge `base` plus the expansion to cover `[offset, offset + size)` and grow.
    function _expand(MachineHash.Frame memory f, uint256 offset, uint256 size, uint256 base, uint256 op)
        private
        pure
    {
        uint256 words = StepLib.wordsFor(f.memoryWords, offset, size);
        // INVARIANT: regions beyond 4 GiB cost more gas than any frame holds.
        if (words == type(uint256).max) revert ExceptionalHalt(op);
        StepLib.charge(f, base + StepLib.expansionCost(f.memoryWords, words), op);
        StepLib.grow(f, words);
    }

    function _memoryAccess(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        uint256 n = op == 0x51 ? 1 : 2;
        bytes32 below = StepLib.openStack(p, f, n, op);
        uint256 offset = p.stack[0];
        uint256 size = op == 0x53 ? 1 : 32;
        _expand(f, offset, size, 3, op);
        uint256 first = offset / 32;
        uint256 last = (offset + size - 1) / 32;
        bytes32[] memory words = StepLib.openMemory(p, f, first, last);
        uint256 shift = offset % 32;
        if (op == 0x51) {
            _next(f, StackHash.push(below, _read32(words, shift)), f.stackSize);
            return;
        }
        uint256 value = p.stack[1];
        /// @solidity memory-safe-assembly
        assembly {
            let base := add(add(words, 0x20), shift)
            switch op
            case 0x52 { mstore(base, value) }
            default { mstore8(base, and(value, 0xff)) }
        }
        StepLib.rewriteMemory(p, f, words);
        _next(f, below, f.stackSize - 2);
    }

    /// @dev The 32 bytes starting `shift` bytes into the word array `words` (zeros past
    ///      its end).
    function _read32(bytes32[] memory words, uint256 shift) private pure returns (uint256 v) {
        /// @solidity memory-safe-assembly
        assembly {
            let start := add(words, 0x20)
            let hi := mload(add(start, shift))
            v := hi
            // Bytes past the array would be whatever follows in memory: mask them off.
            let have := sub(shl(5, mload(words)), shift)
            if lt(have, 32) { v := and(hi, not(sub(shl(sub(256, shl(3, have)), 1), 1))) }
        }
    }

    function _keccak(StepProof calldata p, MachineHash.Frame memory f) private pure {
        uint256 op = 0x20;
        bytes32 below = StepLib.openStack(p, f, 2, op);
        uint256 offset = p.stack[0];
        uint256 size = p.stack[1];
        // INVARIANT: a region beyond 4 GiB is an out-of-gas halt (checked before pricing it).
        if (StepLib.wordsFor(0, offset, size) == type(uint256).max) revert ExceptionalHalt(op);
        _expand(f, offset, size, 30 + 6 * ((size + 31) / 32), op);
        if (size > SINGLE_STEP_KECCAK_MAX_BYTES) {
            // INVARIANT: the opcode step of a long hash reads no memory.
            if (p.mem.length != 0) revert BadRangeOpening(1);
            MachineHash.PendingKeccak memory pending = MachineHash.PendingKeccak({
                kind: MachineHash.PENDING_KECCAK,
                purpose: 0,
                offset: offset,
                remaining: size,
                totalSize: size,
                spongeCommitment: KeccakSponge.initialCommitment(),
                purposeData: 0
            });
            f.pendingOp = MachineHash.hash(pending);
            _next(f, below, f.stackSize - 2);
            return;
        }
        bytes32 digest = _memoryHash(p, f, offset, size);
        _next(f, StackHash.push(below, uint256(digest)), f.stackSize - 1);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        ENVIRONMENT                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _calldataload(StepProof calldata p, MachineHash.Frame memory f) private pure {
        uint256 op = 0x35;
        bytes32 below = StepLib.openStack(p, f, 1, op);
        StepLib.charge(f, 3, op);
        MachineHash.FrameContext memory c = StepLib.frameContext(p, f);
        uint256 start = p.stack[0];
        uint256 value;
        if (start >= c.calldataLength) {
            // INVARIANT: reading past the view opens nothing.
            if (p.cdata.length != 0) revert BadRangeOpening(2);
        } else {
            uint256 end = c.calldataLength - start < 32 ? c.calldataLength : start + 32;
            uint256 position = c.calldataOffset + start;
            uint256 first = position / 32;
            uint256 last = (c.calldataOffset + end - 1) / 32;
            // INVARIANT: one opening of exactly the view words holding the bytes.
            if (p.cdata.length != 1) revert BadRangeOpening(2);
            RangeOpening calldata r = p.cdata[0];
            if (r.first != first || r.words.length != last - first + 1) revert BadRangeOpening(2);
            bytes32[] memory words = r.words;
            if (!WordTree.verifyRange(c.calldataRoot, c.calldataTreeWords, first, words, r.proof)) {
                revert BadRangeOpening(2);
            }
            value = _read32(words, position % 32);
            uint256 count = end - start;
            // Bytes past the view's length read as zero.
            if (count < 32) value &= ~((uint256(1) << (256 - 8 * count)) - 1);
        }
        _next(f, StackHash.push(below, value), f.stackSize);
    }

    function _frameEnv(StepProof calldata p, MachineHash.Frame memory f, uint256 op) private pure {
        bytes32 below = StepLib.openStack(p, f, 0, op);
        StepLib.charge(f, 2, op);
        MachineHash.FrameContext memory c = StepLib.frameContext(p, f);
        uint256 value;
        if (op == 0x30) value = uint256(uint160(c.self));
        else if (op == 0x33) value = uint256(uint160(c.caller));
        else if (op == 0x34) value = c.value;
        else if (op == 0x36) value = c.calldataLength;
        else value = c.returndataLength;
        _pushOnto(f, below, f.stackSize, value, op);
    }

    function _txEnv(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f, uint256 op)
        private
        pure
    {
        bytes32 below = StepLib.openStack(p, f, 0, op);
        StepLib.charge(f, 2, op);
        MachineHash.TxEnv memory e = StepLib.txEnv(p, m);
        uint256 value;
        if (op == 0x32) value = uint256(uint160(e.origin));
        else if (op == 0x3a) value = e.gasPrice;
        else if (op == 0x41) value = uint256(uint160(e.coinbase));
        else if (op == 0x42) value = e.timestamp;
        else if (op == 0x43) value = e.number;
        else if (op == 0x44) value = uint256(e.prevRandao);
        else if (op == 0x45) value = e.blockGasLimit;
        else if (op == 0x46) value = e.chainId;
        else if (op == 0x48) value = e.baseFee;
        else value = e.blobBaseFee;
        _pushOnto(f, below, f.stackSize, value, op);
    }
}
