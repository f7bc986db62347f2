// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IStepClass} from "./IStepClass.sol";
import {
    StepProof,
    StepLib,
    SmtOpening,
    BadChunkOpening,
    BadSmtOpening,
    ExceptionalHalt,
    ExceptionalHaltNotSupported,
    InconsistentState,
    RecordMismatch,
    WrongStepClass
} from "./StepProof.sol";
import {MachineHash} from "../lib/MachineHash.sol";
import {SparseMerkle} from "../lib/SparseMerkle.sol";
import {StackHash} from "../lib/StackHash.sol";
import {CodeChunks} from "../lib/CodeChunks.sol";

/// @title StorageSteps
/// @notice BALANCE, EXTCODESIZE, EXTCODEHASH, EXTCODECOPY (opcode step), SELFBALANCE,
///         and SLOAD and SSTORE (`docs/commitment.md` sections 5 and 8): EIP-2929 warm/cold
///         access through the warm-slot set (whose values are the slots' original values),
///         EIP-2200/3529 SSTORE gas and refunds, the storage update and the account-record
///         update in the world tree.
/// @dev Proof fields used: `frameContext` (the storage owner `self`, `isStatic`),
///      `txContext` (`warmSlots`, `refund`), `account` (the owner's 6-word record, empty
///      if the account is absent), and `smt` = [account opening against `worldRoot`,
///      slot opening against the record's `storageRoot`, warm-slot opening against
///      `warmSlots`].
contract StorageSteps is IStepClass {
    uint256 internal constant WARM_ACCESS = 100;
    uint256 internal constant COLD_SLOAD = 2100;
    uint256 internal constant SSTORE_SET = 20000;
    uint256 internal constant SSTORE_RESET = 5000;
    uint256 internal constant CLEAR_REFUND = 4800;
    uint256 internal constant CALL_STIPEND = 2300;
    uint256 internal constant COLD_ACCOUNT_ACCESS = 2600;

    /// @dev The openings of one storage access, after verification.
    struct Access {
        MachineHash.FrameContext context;
        MachineHash.TxContext txContext;
        MachineHash.AccountRecord record;
        bytes32 accountLeaf;
        bytes32 slotPath;
        bytes32 warmPath;
        bool slotPresent;
        uint256 current;
        bool warm;
        uint256 original;
    }

    /// @inheritdoc IStepClass
    /// @dev As in `CoreSteps`, the instruction runs in a self-call and an `ExceptionalHalt`
    ///      becomes the halt transition, here with the interpreter's side effect: a cold
    ///      slot or address read before running out of gas stays warmed.
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

    /// @dev The halt transition: gas 0, `PendingExit(HALT, 0, 0)`, pc, stack and memory
    ///      kept; SLOAD, BALANCE, EXTCODESIZE, EXTCODEHASH and EXTCODECOPY with their
    ///      operands on the stack warmed their slot / address before failing (out of gas).
    function _halt(bytes calldata proof, bytes32 preState) private pure returns (bytes32) {
        StepProof calldata p = StepLib.decode(proof);
        (MachineHash.MachineState memory m, MachineHash.Frame memory f) = StepLib.open(p, preState);
        (uint256 op,) = StepLib.opcode(p, f);
        uint256 n = op == 0x3c ? 4 : 1;
        bool warms = op == 0x54 || op == 0x31 || op == 0x3b || op == 0x3f || op == 0x3c;
        if (warms && f.stackSize >= n) {
            StepLib.openStack(p, f, n, op);
            if (op == 0x54) {
                Access memory a = _open(p, m, f, p.stack[0]);
                if (!a.warm) {
                    _warm(p, a);
                    m.txContextHash = MachineHash.hash(a.txContext);
                }
            } else {
                // The charge is made to fail: only the warm-set update is wanted here.
                f.gas = type(uint128).max;
                _access(p, m, f, address(uint160(p.stack[0])), 0, op);
            }
        }
        f.gas = 0;
        f.pendingOp = MachineHash.hash(MachineHash.PendingExit(MachineHash.PENDING_EXIT, 2, 0, 0));
        return StepLib.commit(m, f);
    }

    /// @notice Execute the instruction (the body of `run`; reverts on a halt).
    /// @param proof `abi.encode(StepProof)`.
    /// @param preState The committed machine state before the step.
    /// @return The committed machine state after the step.
    function execute(bytes calldata proof, bytes32 preState) external pure returns (bytes32) {
        StepProof calldata p = StepLib.decode(proof);
        (MachineHash.MachineState memory m, MachineHash.Frame memory f) = StepLib.open(p, preState);
        (uint256 op,) = StepLib.opcode(p, f);
        // INVARIANT: this contract executes storage and account-reading instructions only.
        if (op != 0x54 && op != 0x55 && op != 0x31 && op != 0x3b && op != 0x3f && op != 0x47 && op != 0x3c) {
            revert WrongStepClass(op);
        }
        // INVARIANT: only the instruction's own chunk is opened.
        if (p.chunks.length != 1) revert BadChunkOpening(0, p.chunks.length);
        if (op == 0x54) _sload(p, m, f);
        else if (op == 0x55) _sstore(p, m, f);
        else if (op == 0x3c) _extcodecopy(p, m, f);
        else _accountRead(p, m, f, op);
        return StepLib.commit(m, f);
    }

    /// @dev Verify `smt[index]` + `account` as `owner`'s record (or absence) under `worldRoot`.
    function _openAccount(StepProof calldata p, bytes32 worldRoot, address owner, uint256 index)
        private
        pure
        returns (MachineHash.AccountRecord memory record, bytes32 leaf)
    {
        SmtOpening calldata acc = p.smt[index];
        if (p.account.length == 6) {
            record = abi.decode(abi.encodePacked(p.account), (MachineHash.AccountRecord));
            leaf = MachineHash.hash(record);
            // INVARIANT: the record is the owner's committed account value.
            if (!acc.present || acc.value != leaf) revert RecordMismatch(StepLib.REC_ACCOUNT);
        } else if (p.account.length != 0 || acc.present) {
            revert RecordMismatch(StepLib.REC_ACCOUNT);
        }
        // INVARIANT: the opening proves the owner's record (or its absence) in the world.
        if (!SparseMerkle.verify(worldRoot, SparseMerkle.pathOfAddress(owner), acc.present, acc.value, acc.proof)) {
            revert BadSmtOpening(0);
        }
    }

    /// @dev Warm-set lookup of `target` (`smt[1]`), charging 100 / 2600 plus `extra`, and
    ///      the insertion of a cold target (precompiles 0x01-0x0a are warm by rule).
    function _access(
        StepProof calldata p,
        MachineHash.MachineState memory m,
        MachineHash.Frame memory f,
        address target,
        uint256 extra,
        uint256 op
    ) private pure {
        MachineHash.TxContext memory t = StepLib.txContext(p, m);
        bytes32 path = SparseMerkle.pathOfAddress(target);
        SmtOpening calldata w = p.smt[1];
        // INVARIANT: the warm-address opening proves membership (w(1)) or absence.
        if (!SparseMerkle.verify(t.warmAddresses, path, w.present, w.value, w.proof)) revert BadSmtOpening(2);
        bool warm = w.present || (uint160(target) >= 1 && uint160(target) <= 10);
        StepLib.charge(f, (warm ? WARM_ACCESS : COLD_ACCOUNT_ACCESS) + extra, op);
        if (!warm) {
            t.warmAddresses = SparseMerkle.rootAfterInsert(t.warmAddresses, path, bytes32(uint256(1)), w.proof);
            m.txContextHash = MachineHash.hash(t);
        }
    }

    /// @dev EXTCODECOPY: access and copy gas, memory growth, and `PendingCopy(COPY_CODE)`
    ///      over the target's code view `(codeRoot, chunks, 0, codeSize)` for the
    ///      `CopySteps` sub-steps. `smt` = [account, warm address].
    function _extcodecopy(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f)
        private
        pure
    {
        uint256 op = 0x3c;
        bytes32 below = StepLib.openStack(p, f, 4, op);
        // INVARIANT: the account and the warm-address set are opened.
        if (p.smt.length != 2) revert BadSmtOpening(p.smt.length);
        address target = address(uint160(p.stack[0]));
        uint256 dest = p.stack[1];
        uint256 size = p.stack[3];
        // INVARIANT: sizes beyond 4 GiB are out-of-gas halts (not covered in this class).
        if (size > type(uint32).max) revert ExceptionalHalt(op);
        _access(p, m, f, target, 3 * ((size + 31) / 32), op);
        uint256 words = StepLib.wordsFor(f.memoryWords, dest, size);
        if (words == type(uint256).max) revert ExceptionalHalt(op);
        StepLib.charge(f, StepLib.expansionCost(f.memoryWords, words), op);
        StepLib.grow(f, words);
        (MachineHash.AccountRecord memory a,) = _openAccount(p, m.worldRoot, target, 0);
        if (size != 0) {
            f.pendingOp = MachineHash.hash(
                MachineHash.PendingCopy({
                    kind: MachineHash.PENDING_COPY_CODE,
                    sourceRoot: a.codeRoot,
                    sourceTreeWords: CodeChunks.chunkCount(a.codeSize),
                    sourceOffset: 0,
                    sourceLength: a.codeSize,
                    sourcePos: p.stack[2],
                    destOffset: dest,
                    remaining: size
                })
            );
        }
        f.stackHash = below;
        f.stackSize -= 4;
        f.pc += 1;
    }

    /// @dev BALANCE, EXTCODESIZE, EXTCODEHASH (EIP-2929 warm/cold through `warmAddresses`,
    ///      inserting a cold target; precompiles 0x01-0x0a are warm by rule) and
    ///      SELFBALANCE (the frame's own account, 5 gas). `smt` = [account, warm address].
    function _accountRead(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f, uint256 op)
        private
        pure
    {
        bool self_ = op == 0x47;
        bytes32 below = StepLib.openStack(p, f, self_ ? 0 : 1, op);
        // INVARIANT: SELFBALANCE opens its account, the others also the warm-address set.
        if (p.smt.length != (self_ ? 1 : 2)) revert BadSmtOpening(p.smt.length);
        address target;
        if (self_) {
            StepLib.charge(f, 5, op);
            target = StepLib.frameContext(p, f).self;
        } else {
            target = address(uint160(p.stack[0]));
            _access(p, m, f, target, 0, op);
        }
        (MachineHash.AccountRecord memory a, bytes32 leaf) = _openAccount(p, m.worldRoot, target, 0);
        uint256 value;
        if (op == 0x31 || op == 0x47) {
            value = a.balance;
        } else if (op == 0x3b) {
            value = a.codeSize;
        } else if (leaf != 0 && (a.nonce != 0 || a.balance != 0 || a.codeSize != 0)) {
            // EXTCODEHASH: zero for absent and empty (EIP-161) accounts.
            value = uint256(a.codeHash);
        }
        // INVARIANT: a stack overflow (SELFBALANCE on a full stack) is an exceptional halt.
        if (self_ && f.stackSize + 1 > StepLib.STACK_LIMIT) revert ExceptionalHalt(op);
        f.stackHash = StackHash.push(below, value);
        if (self_) f.stackSize += 1;
        f.pc += 1;
    }

    /// @dev Verify the three SMT openings and read the slot's current and original values.
    function _open(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f, uint256 slot)
        private
        pure
        returns (Access memory a)
    {
        a.context = StepLib.frameContext(p, f);
        a.txContext = StepLib.txContext(p, m);
        // INVARIANT: three openings: account, slot, warm slot.
        if (p.smt.length != 3) revert BadSmtOpening(p.smt.length);
        address owner = a.context.self;
        (a.record, a.accountLeaf) = _openAccount(p, m.worldRoot, owner, 0);
        a.slotPath = SparseMerkle.pathOfWord(bytes32(slot));
        SmtOpening calldata st = p.smt[1];
        // INVARIANT: the slot opening proves the current value under the account's storage root.
        if (!SparseMerkle.verify(a.record.storageRoot, a.slotPath, st.present, st.value, st.proof)) {
            revert BadSmtOpening(1);
        }
        a.slotPresent = st.present;
        a.current = st.present ? uint256(st.value) : 0;
        a.warmPath = SparseMerkle.pathOfAddressSlot(owner, bytes32(slot));
        SmtOpening calldata w = p.smt[2];
        // INVARIANT: the warm-slot opening proves membership (with the original value) or absence.
        if (!SparseMerkle.verify(a.txContext.warmSlots, a.warmPath, w.present, w.value, w.proof)) {
            revert BadSmtOpening(2);
        }
        a.warm = w.present;
        // A cold slot was never written in this transaction: its current value is original.
        a.original = w.present ? uint256(w.value) : a.current;
    }

    /// @dev Warm a cold slot: insert `(owner ‖ slot) → original` into `warmSlots`.
    function _warm(StepProof calldata p, Access memory a) private pure {
        a.txContext.warmSlots =
            SparseMerkle.rootAfterInsert(a.txContext.warmSlots, a.warmPath, bytes32(a.current), p.smt[2].proof);
    }

    function _sload(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f) private pure {
        bytes32 below = StepLib.openStack(p, f, 1, 0x54);
        Access memory a = _open(p, m, f, p.stack[0]);
        StepLib.charge(f, a.warm ? WARM_ACCESS : COLD_SLOAD, 0x54);
        if (!a.warm) {
            _warm(p, a);
            m.txContextHash = MachineHash.hash(a.txContext);
        }
        f.stackHash = StackHash.push(below, a.current);
        f.pc += 1;
    }

    function _sstore(StepProof calldata p, MachineHash.MachineState memory m, MachineHash.Frame memory f) private pure {
        bytes32 below = StepLib.openStack(p, f, 2, 0x55);
        // INVARIANT: EIP-2200 sentry: SSTORE needs more than the call stipend left.
        if (f.gas <= CALL_STIPEND) revert ExceptionalHalt(0x55);
        Access memory a = _open(p, m, f, p.stack[0]);
        uint256 value = p.stack[1];
        (uint256 cost, int256 refundDelta) = _sstoreGas(a.warm, a.original, a.current, value);
        // INVARIANT: out of gas after the slot was warmed and the refund moved: not covered.
        if (cost > f.gas) revert ExceptionalHaltNotSupported(0x55);
        StepLib.charge(f, cost, 0x55);
        // INVARIANT: a write in a static frame is an exceptional halt (not covered).
        if (a.context.isStatic) revert ExceptionalHaltNotSupported(0x55);
        // INVARIANT: the executing account exists (it holds the running code or called it).
        if (a.accountLeaf == 0) revert InconsistentState();
        if (!a.warm) _warm(p, a);
        int256 refund = int256(a.txContext.refund) + refundDelta;
        // INVARIANT: the transaction's refund counter never goes negative in a valid trace.
        if (refund < 0) revert InconsistentState();
        a.txContext.refund = uint256(refund);
        if (value != a.current) m.worldRoot = _write(p, m.worldRoot, a, value);
        m.txContextHash = MachineHash.hash(a.txContext);
        f.stackHash = below;
        f.stackSize -= 2;
        f.pc += 1;
    }

    /// @dev The world root after writing `value` into the opened slot: the storage update
    ///      (a write of 0 deletes the slot), then the owner's account-record update.
    function _write(StepProof calldata p, bytes32 worldRoot, Access memory a, uint256 value)
        private
        pure
        returns (bytes32)
    {
        bytes32 oldLeaf = a.accountLeaf;
        a.record.storageRoot = SparseMerkle.rootAfterUpdate(
            a.record.storageRoot, a.slotPath, a.slotPresent, bytes32(a.current), value != 0, bytes32(value), p.smt[1].proof
        );
        bytes32 ownerPath = SparseMerkle.pathOfAddress(a.context.self);
        return SparseMerkle.rootAfterSet(worldRoot, ownerPath, oldLeaf, MachineHash.hash(a.record), p.smt[0].proof);
    }

    /// @dev Cancun SSTORE gas and refund change (EIP-2929, EIP-2200, EIP-3529).
    function _sstoreGas(bool warm, uint256 original, uint256 current, uint256 value)
        private
        pure
        returns (uint256 cost, int256 refund)
    {
        cost = warm ? 0 : COLD_SLOAD;
        if (original == current && current != value) {
            cost += original == 0 ? SSTORE_SET : SSTORE_RESET - COLD_SLOAD;
        } else {
            cost += WARM_ACCESS;
        }
        if (current != value) {
            if (original != 0 && current != 0 && value == 0) refund += int256(CLEAR_REFUND);
            if (original != 0 && current == 0) refund -= int256(CLEAR_REFUND);
            if (original == value) {
                refund += original == 0
                    ? int256(SSTORE_SET - WARM_ACCESS)
                    : int256(SSTORE_RESET - COLD_SLOAD - WARM_ACCESS);
            }
        }
    }
}
