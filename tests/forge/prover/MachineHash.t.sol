// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ProverTestBase} from "./ProverTestBase.sol";
import {MachineHash} from "../../../contracts/prover/lib/MachineHash.sol";
import {StackHash} from "../../../contracts/prover/lib/StackHash.sol";
import {SparseMerkle} from "../../../contracts/prover/lib/SparseMerkle.sol";
import {KeccakSponge} from "../../../contracts/prover/lib/KeccakSponge.sol";

/// @notice MachineHash and StackHash against `commitment.json`: every record of sections
///         4 and 6 decoded from Python's word encoding and hashed, the links between them
///         (machine → frame → context, tx env, tx context → logs), chains, boundaries,
///         the stack chain; and the warm sets rebuilt insertion by insertion from
///         `prover.json` proofs.
contract MachineHashTest is ProverTestBase {
    string internal constant C = "commitment.json";

    function _words(string memory j, string memory key) internal pure returns (bytes memory) {
        return abi.encodePacked(vm.parseJsonBytes32Array(j, string.concat(key, ".words")));
    }

    function _hash(string memory j, string memory key) internal pure returns (bytes32) {
        return vm.parseJsonBytes32(j, string.concat(key, ".hash"));
    }

    // ------------------------------------------------------------------ records

    function test_vectors_records() public view {
        string memory j = _vectors(C);
        // Decoding with the ABI decoder checks the word count, address and bool ranges.
        MachineHash.FrameContext memory ctx = abi.decode(_words(j, ".frameContext"), (MachineHash.FrameContext));
        MachineHash.Frame memory frame = abi.decode(_words(j, ".frame"), (MachineHash.Frame));
        MachineHash.TxContext memory txc = abi.decode(_words(j, ".txContext"), (MachineHash.TxContext));
        MachineHash.TxEnv memory env = abi.decode(_words(j, ".txEnv"), (MachineHash.TxEnv));
        MachineHash.MachineState memory ms = abi.decode(_words(j, ".machineState"), (MachineHash.MachineState));

        vm.assertEq(MachineHash.hash(ctx), _hash(j, ".frameContext"), "FrameContext");
        vm.assertEq(MachineHash.hash(frame), _hash(j, ".frame"), "Frame");
        vm.assertEq(MachineHash.hash(txc), _hash(j, ".txContext"), "TxContext");
        vm.assertEq(MachineHash.hash(env), _hash(j, ".txEnv"), "TxEnv");
        vm.assertEq(MachineHash.hash(ms), _hash(j, ".machineState"), "MachineState");

        // Through calldata (the prover's path) too.
        vm.assertEq(h.mhFrameContext(ctx), _hash(j, ".frameContext"));
        vm.assertEq(h.mhFrame(frame), _hash(j, ".frame"));
        vm.assertEq(h.mhTxContext(txc), _hash(j, ".txContext"));
        vm.assertEq(h.mhTxEnv(env), _hash(j, ".txEnv"));
        vm.assertEq(h.mhMachineState(ms), _hash(j, ".machineState"));

        // The links of the commitment.
        vm.assertEq(frame.contextHash, MachineHash.hash(ctx), "frame -> context");
        vm.assertEq(ms.frameHash, MachineHash.hash(frame), "machine -> frame");
        vm.assertEq(ms.txEnvHash, MachineHash.hash(env), "machine -> tx env");
        vm.assertEq(ms.txContextHash, MachineHash.hash(txc), "machine -> tx context");
        vm.assertEq(ms.phase, MachineHash.PHASE_RUNNING);
        vm.assertEq(frame.stackHash, vm.parseJsonBytes32(j, ".stack.hash"), "frame -> stack");
        vm.assertEq(frame.stackSize, 5);
        vm.assertEq(frame.memoryRoot, vm.parseJsonBytes32(j, ".memoryGrowth.oldRoot"), "frame -> memory");
        vm.assertEq(txc.logsHash, vm.parseJsonBytes32(j, ".log.accumulatorAfterOne"), "tx context -> logs");
        vm.assertEq(ms.suspendedFrames, vm.parseJsonBytes32(j, ".suspendedFrames.hash"), "machine -> suspended");
        vm.assertEq(
            ctx.revertSnapshot,
            MachineHash.revertSnapshot(
                keccak256(abi.encodePacked("world/0/0")),
                MachineHash.hash(MachineHash.TxContext(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            ),
            "revert snapshot of the empty tx context"
        );
        // Changing any word changes the hash.
        frame.gas -= 1;
        vm.assertTrue(MachineHash.hash(frame) != _hash(j, ".frame"));
    }

    function test_vectors_pendingRecords() public view {
        string memory j = _vectors(C);
        MachineHash.PendingCopy memory copy_ = abi.decode(_words(j, ".pending.copy"), (MachineHash.PendingCopy));
        MachineHash.PendingKeccak memory kec = abi.decode(_words(j, ".pending.keccak"), (MachineHash.PendingKeccak));
        MachineHash.PendingCodeBuild memory cb =
            abi.decode(_words(j, ".pending.codeBuild"), (MachineHash.PendingCodeBuild));
        MachineHash.PendingCall memory call_ = abi.decode(_words(j, ".pending.call"), (MachineHash.PendingCall));
        MachineHash.PendingExit memory exit_ = abi.decode(_words(j, ".pending.exit"), (MachineHash.PendingExit));
        MachineHash.PendingCreate memory cr = abi.decode(_words(j, ".pending.create"), (MachineHash.PendingCreate));
        MachineHash.PendingSelfdestruct memory sd =
            abi.decode(_words(j, ".pending.selfdestruct"), (MachineHash.PendingSelfdestruct));
        vm.assertEq(MachineHash.hash(copy_), _hash(j, ".pending.copy"), "PendingCopy");
        vm.assertEq(MachineHash.hash(kec), _hash(j, ".pending.keccak"), "PendingKeccak");
        vm.assertEq(MachineHash.hash(cb), _hash(j, ".pending.codeBuild"), "PendingCodeBuild");
        vm.assertEq(MachineHash.hash(call_), _hash(j, ".pending.call"), "PendingCall");
        vm.assertEq(MachineHash.hash(exit_), _hash(j, ".pending.exit"), "PendingExit");
        vm.assertEq(MachineHash.hash(cr), _hash(j, ".pending.create"), "PendingCreate");
        vm.assertEq(MachineHash.hash(sd), _hash(j, ".pending.selfdestruct"), "PendingSelfdestruct");
        vm.assertEq(copy_.kind, MachineHash.PENDING_COPY_BYTES);
        vm.assertEq(kec.kind, MachineHash.PENDING_KECCAK);
        vm.assertEq(cb.kind, MachineHash.PENDING_CODE_BUILD);
        vm.assertEq(call_.kind, MachineHash.PENDING_CALL);
        vm.assertEq(exit_.kind, MachineHash.PENDING_EXIT);
        vm.assertEq(cr.kind, MachineHash.PENDING_CREATE);
        vm.assertEq(sd.kind, MachineHash.PENDING_SELFDESTRUCT);
        // Links: S0 of the sponge, the log header, the builder after seven appends.
        vm.assertEq(kec.spongeCommitment, KeccakSponge.initialCommitment(), "S0");
        vm.assertEq(cb.spongeCommitment, KeccakSponge.initialCommitment(), "S0 (code build)");
        vm.assertEq(kec.purposeData, vm.parseJsonBytes32(j, ".log.headerHash"), "log header");
        bytes32[] memory builder = vm.parseJsonBytes32Array(j, ".merkleBuilder.commitmentsAfterEachAppend");
        vm.assertEq(cb.builderCommitment, builder[builder.length - 1], "builder commitment");
        // The calldata view of the context is the copy's source.
        MachineHash.FrameContext memory ctx = abi.decode(_words(j, ".frameContext"), (MachineHash.FrameContext));
        vm.assertEq(copy_.sourceRoot, ctx.calldataRoot);
        vm.assertEq(copy_.sourceLength, ctx.calldataLength);
    }

    function test_vectors_accountRecord() public view {
        string memory j = _vectors(C);
        bytes memory enc = vm.parseJsonBytes(j, ".accountRecord.encoding");
        vm.assertEq(enc.length, 192);
        MachineHash.AccountRecord memory a = abi.decode(enc, (MachineHash.AccountRecord));
        vm.assertEq(MachineHash.hash(a), vm.parseJsonBytes32(j, ".accountRecord.leafValue"));
        vm.assertEq(h.mhAccount(a), vm.parseJsonBytes32(j, ".accountRecord.leafValue"));
        vm.assertEq(a.nonce, 1);
        vm.assertEq(a.balance, 1 ether);
    }

    // ------------------------------------------------------------------ chains

    function test_vectors_chainsAndBoundaries() public view {
        string memory j = _vectors(C);
        vm.assertEq(
            MachineHash.suspend(
                vm.parseJsonBytes32(j, ".suspendedFrames.below"), vm.parseJsonBytes32(j, ".suspendedFrames.frameHash")
            ),
            vm.parseJsonBytes32(j, ".suspendedFrames.hash"),
            "suspended-frame chain"
        );
        bytes32 ctx = vm.parseJsonBytes32(j, ".traceBoundaries.traceContext");
        uint256 txIndex = vm.parseJsonUint(j, ".traceBoundaries.txIndex");
        vm.assertEq(MachineHash.txLocator(ctx, txIndex), vm.parseJsonBytes32(j, ".traceBoundaries.txLocator"));
        vm.assertEq(
            MachineHash.traceStart(ctx, txIndex, vm.parseJsonBytes32(j, ".traceBoundaries.preTxRoot")),
            vm.parseJsonBytes32(j, ".traceBoundaries.startState"),
            "traceStart"
        );
        vm.assertEq(
            MachineHash.traceEnd(ctx, txIndex, vm.parseJsonBytes32(j, ".traceBoundaries.postTxRoot")),
            vm.parseJsonBytes32(j, ".traceBoundaries.endState"),
            "traceEnd"
        );
    }

    function test_vectors_log() public view {
        string memory j = _vectors(C);
        bytes32[] memory topics = vm.parseJsonBytes32Array(j, ".log.topics");
        bytes32 header = MachineHash.logHeader(vm.parseJsonAddress(j, ".log.address"), topics);
        vm.assertEq(header, vm.parseJsonBytes32(j, ".log.headerHash"), "log header");
        vm.assertEq(topics.length, 2, "topics untouched");
        bytes memory data = vm.parseJsonBytes(j, ".log.data");
        bytes32 entry = MachineHash.logEntry(header, data.length, keccak256(data));
        vm.assertEq(entry, vm.parseJsonBytes32(j, ".log.entryHash"), "log entry");
        vm.assertEq(MachineHash.logsAccumulate(0, entry), vm.parseJsonBytes32(j, ".log.accumulatorAfterOne"));
    }

    function test_vectors_setChainAndSlotKey() public view {
        string memory j = _vectors(C);
        bytes memory membersRaw = vm.parseJson(j, ".warmAddressSet.members");
        address[] memory members = abi.decode(membersRaw, (address[]));
        bytes32 chain;
        bytes32 chainBytes;
        for (uint256 i; i < members.length; ++i) {
            chain = MachineHash.setChainPushAddress(chain, members[i]);
            chainBytes = MachineHash.setChainPush(chainBytes, abi.encodePacked(members[i]));
        }
        vm.assertEq(chain, vm.parseJsonBytes32(j, ".warmAddressSet.chain"), "set chain");
        vm.assertEq(chainBytes, chain);
        vm.assertEq(members.length, vm.parseJsonUint(j, ".warmAddressSet.count"));
        // Slot keys: address ‖ w(slot), 52 bytes.
        bytes memory key = vm.parseJsonBytes(j, ".slotKey.key");
        vm.assertEq(
            SparseMerkle.pathOfAddressSlot(
                vm.parseJsonAddress(j, ".slotKey.address"), vm.parseJsonBytes32(j, ".slotKey.slot")
            ),
            keccak256(key),
            "slot key path"
        );
    }

    /// @notice The warm sets built insertion by insertion with `rootAfterUpdate` (set
    ///         members map to w(1)) reach Python's roots, including commitment.json's.
    function test_vectors_setInsertions() public view {
        string memory j = _vectors("prover.json");
        vm.assertEq(
            _replayInsertions(j, ".setInsertions.warmAddresses"),
            vm.parseJsonBytes32(_vectors(C), ".warmAddressSet.root"),
            "warm address set root"
        );
        _replayInsertions(j, ".setInsertions.warmSlots");
    }

    function _replayInsertions(string memory j, string memory key) internal view returns (bytes32 root) {
        uint256 n = _count(j, key);
        for (uint256 i; i < n; ++i) {
            string memory k = _at(key, i);
            vm.assertEq(vm.parseJsonBytes32(j, string.concat(k, ".root")), root, "chained roots");
            SparseMerkle.Proof memory p;
            p.depth = vm.parseJsonUint(j, string.concat(k, ".proof.depth"));
            p.siblingBitmap = uint256(vm.parseJsonBytes32(j, string.concat(k, ".proof.siblingBitmap")));
            p.siblings = vm.parseJsonBytes32Array(j, string.concat(k, ".proof.siblings"));
            if (!_isNull(j, string.concat(k, ".proof.terminalLeaf"))) {
                p.hasTerminalLeaf = true;
                p.terminalPath = vm.parseJsonBytes32(j, string.concat(k, ".proof.terminalLeaf.path"));
                p.terminalValue = vm.parseJsonBytes32(j, string.concat(k, ".proof.terminalLeaf.value"));
            }
            bytes32 path = keccak256(vm.parseJsonBytes(j, string.concat(k, ".key")));
            root = h.smtRootAfterUpdate(root, path, false, 0, true, bytes32(uint256(1)), p);
            vm.assertEq(root, vm.parseJsonBytes32(j, string.concat(k, ".newRoot")), k);
        }
    }

    // ------------------------------------------------------------------ stack

    function test_vectors_stack() public {
        string memory j = _vectors(C);
        bytes32[] memory valuesRaw = vm.parseJsonBytes32Array(j, ".stack.values");
        bytes32[] memory prefixes = vm.parseJsonBytes32Array(j, ".stack.prefixes");
        uint256 n = valuesRaw.length;
        uint256[] memory values = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            values[i] = uint256(valuesRaw[i]);
            vm.assertEq(h.stPush(prefixes[i], values[i]), prefixes[i + 1], "push");
        }
        bytes32 top = vm.parseJsonBytes32(j, ".stack.hash");
        vm.assertEq(prefixes[n], top);
        // Pop k items (top first) for every k.
        for (uint256 k; k <= n; ++k) {
            uint256[] memory items = new uint256[](k);
            for (uint256 i; i < k; ++i) {
                items[i] = values[n - 1 - i];
            }
            vm.assertEq(h.stFold(prefixes[n - k], items), top, "fold");
            vm.assertEq(h.stPop(top, prefixes[n - k], items), prefixes[n - k], "pop");
            if (k != 0) {
                items[k - 1] ^= 1;
                vm.expectRevert(StackHash.StackMismatch.selector);
                h.stPop(top, prefixes[n - k], items);
            }
        }
        vm.assertEq(h.stPop2(top, prefixes[n - 2], values[n - 1], values[n - 2]), prefixes[n - 2]);
        vm.expectRevert(StackHash.StackMismatch.selector);
        h.stPop2(top, prefixes[n - 2], values[n - 2], values[n - 1]);
    }

    function _stackHashOf(uint256[] memory bottomFirst) internal pure returns (bytes32 x) {
        for (uint256 i; i < bottomFirst.length; ++i) {
            x = keccak256(abi.encode(x, bottomFirst[i]));
        }
    }

    /// @notice DUPn and SWAPn from openings equal recomputing the whole stack.
    function testFuzz_dupSwap(uint256 seed, uint256 depthSeed, uint256 nSeed) public view {
        uint256 size = bound(depthSeed, 1, 24);
        uint256 n = bound(nSeed, 1, size < 16 ? size : 16);
        uint256[] memory stack = new uint256[](size);
        for (uint256 i; i < size; ++i) {
            stack[i] = uint256(keccak256(abi.encode(seed, i)));
        }
        bytes32 top = _stackHashOf(stack);
        // DUPn: open n items.
        uint256[] memory items = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            items[i] = stack[size - 1 - i];
        }
        uint256[] memory below = new uint256[](size - n);
        for (uint256 i; i < size - n; ++i) {
            below[i] = stack[i];
        }
        bytes32 belowHash = _stackHashOf(below);
        uint256[] memory dupped = new uint256[](size + 1);
        for (uint256 i; i < size; ++i) {
            dupped[i] = stack[i];
        }
        dupped[size] = stack[size - n];
        vm.assertEq(h.stDup(top, belowHash, items), _stackHashOf(dupped), "DUPn");
        // SWAPn: open n + 1 items (when the stack has them).
        if (size > n) {
            uint256[] memory sitems = new uint256[](n + 1);
            for (uint256 i; i <= n; ++i) {
                sitems[i] = stack[size - 1 - i];
            }
            uint256[] memory sbelow = new uint256[](size - n - 1);
            for (uint256 i; i < sbelow.length; ++i) {
                sbelow[i] = stack[i];
            }
            (stack[size - 1], stack[size - 1 - n]) = (stack[size - 1 - n], stack[size - 1]);
            vm.assertEq(h.stSwap(top, _stackHashOf(sbelow), sitems), _stackHashOf(stack), "SWAPn");
        }
    }
}
