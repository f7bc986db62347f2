// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MachineHash
/// @notice The records of the per-step machine commitment (`docs/commitment.md`,
///         sections 2.2 and 4-7), hashed exactly as `agents/evm/commitment.py` and
///         `agents/evm/store.py` hash them: `keccak256` of the fields, each one 32-byte
///         word, in declaration order (`Hw(...)`, i.e. `keccak256(abi.encode(...))`).
/// @dev Every struct below holds only 32-byte static members, so its memory image is the
///      word list itself and each hash is one `keccak256` over it, without re-encoding.
///      Views (`ByteView`) are flattened into their four words in place. Addresses and
///      booleans must be clean (as Solidity writes them); records decoded from calldata
///      by the ABI decoder are.
library MachineHash {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         CONSTANTS                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    uint256 internal constant PHASE_TX_START = 0;
    uint256 internal constant PHASE_RUNNING = 1;
    uint256 internal constant PHASE_TX_END = 2;
    uint256 internal constant PHASE_DONE = 3;

    uint256 internal constant PENDING_COPY_BYTES = 1;
    uint256 internal constant PENDING_COPY_CODE = 2;
    uint256 internal constant PENDING_KECCAK = 3;
    uint256 internal constant PENDING_CODE_BUILD = 4;
    uint256 internal constant PENDING_CALL = 5;
    uint256 internal constant PENDING_EXIT = 6;
    uint256 internal constant PENDING_CREATE = 7;
    uint256 internal constant PENDING_SELFDESTRUCT = 8;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          RECORDS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The per-step commitment (7 words).
    struct MachineState {
        uint256 phase;
        bytes32 worldRoot;
        bytes32 txEnvHash;
        bytes32 txContextHash;
        bytes32 createdAccounts;
        bytes32 frameHash;
        bytes32 suspendedFrames;
    }

    /// @notice The hot part of the current frame (10 words).
    struct Frame {
        uint256 pc;
        uint256 gas;
        bytes32 codeRoot;
        uint256 codeSize;
        bytes32 stackHash;
        uint256 stackSize;
        bytes32 memoryRoot;
        uint256 memoryWords;
        bytes32 pendingOp;
        bytes32 contextHash;
    }

    /// @notice The cold part of the current frame (18 words; two flattened views).
    /// @custom:field self The storage/balance context (`address` in the document).
    struct FrameContext {
        bytes32 calldataRoot;
        uint256 calldataTreeWords;
        uint256 calldataOffset;
        uint256 calldataLength;
        bytes32 returndataRoot;
        uint256 returndataTreeWords;
        uint256 returndataOffset;
        uint256 returndataLength;
        address caller;
        address self;
        address codeAddress;
        uint256 value;
        bool isStatic;
        uint256 depth;
        uint256 callKind;
        uint256 returnOffset;
        uint256 returnSize;
        bytes32 revertSnapshot;
    }

    /// @notice Transaction-level state restored by a reverting frame (12 words).
    struct TxContext {
        bytes32 warmAddresses;
        bytes32 warmSlots;
        bytes32 transientStorage;
        uint256 refund;
        bytes32 logsHash;
        uint256 logCount;
        bytes32 touchedRoot;
        bytes32 touchedChain;
        uint256 touchedCount;
        bytes32 destructedRoot;
        bytes32 destructedChain;
        uint256 destructedCount;
    }

    /// @notice The immutable transaction and block environment (17 words).
    struct TxEnv {
        address origin;
        uint256 gasPrice;
        uint256 priorityFeePerGas;
        uint256 gasLimit;
        bytes32 blobHashesRoot;
        uint256 blobHashCount;
        address coinbase;
        uint256 timestamp;
        uint256 number;
        bytes32 prevRandao;
        uint256 blockGasLimit;
        uint256 chainId;
        uint256 baseFee;
        uint256 blobBaseFee;
        bytes32 blockHashesRoot;
        bytes32 traceContext;
        uint256 txIndex;
    }

    /// @notice An account's committed record; its hash is the account-tree value (6 words).
    struct AccountRecord {
        uint256 nonce;
        uint256 balance;
        bytes32 storageRoot;
        bytes32 codeHash;
        bytes32 codeRoot;
        uint256 codeSize;
    }

    /// @notice `PendingCopy` (8 words: kind, source view, sourcePos, destOffset, remaining).
    struct PendingCopy {
        uint256 kind;
        bytes32 sourceRoot;
        uint256 sourceTreeWords;
        uint256 sourceOffset;
        uint256 sourceLength;
        uint256 sourcePos;
        uint256 destOffset;
        uint256 remaining;
    }

    /// @notice `PendingKeccak` (7 words).
    struct PendingKeccak {
        uint256 kind;
        uint256 purpose;
        uint256 offset;
        uint256 remaining;
        uint256 totalSize;
        bytes32 spongeCommitment;
        bytes32 purposeData;
    }

    /// @notice `PendingCodeBuild` (12 words: the source view flattened).
    struct PendingCodeBuild {
        uint256 kind;
        uint256 purpose;
        bytes32 sourceRoot;
        uint256 sourceTreeWords;
        uint256 sourceOffset;
        uint256 sourceLength;
        uint256 hashPos;
        bytes32 spongeCommitment;
        uint256 chunkPos;
        uint256 pushCarry;
        bytes32 builderCommitment;
        bytes32 purposeData;
    }

    /// @notice `PendingCall` (10 words).
    struct PendingCall {
        uint256 kind;
        uint256 callKind;
        uint256 gas;
        address target;
        address codeAddress;
        uint256 value;
        uint256 argsOffset;
        uint256 argsSize;
        uint256 returnOffset;
        uint256 returnSize;
    }

    /// @notice `PendingExit` (4 words).
    struct PendingExit {
        uint256 kind;
        uint256 status;
        uint256 outputOffset;
        uint256 outputSize;
    }

    /// @notice `PendingCreate` (7 words).
    struct PendingCreate {
        uint256 kind;
        uint256 callKind;
        uint256 gas;
        address newAddress;
        uint256 value;
        bytes32 initCodeRoot;
        uint256 initCodeSize;
    }

    /// @notice `PendingSelfdestruct` (2 words).
    struct PendingSelfdestruct {
        uint256 kind;
        address beneficiary;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       RECORD HASHES                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice `MachineState` hash (the per-step commitment).
    function hash(MachineState memory s) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(s, 0xe0)
        }
    }

    /// @notice `Frame` hash (`frameHash`).
    function hash(Frame memory f) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(f, 0x140)
        }
    }

    /// @notice `FrameContext` hash (`Frame.contextHash`).
    function hash(FrameContext memory c) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(c, 0x240)
        }
    }

    /// @notice `TxContext` hash (`txContextHash`).
    function hash(TxContext memory c) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(c, 0x180)
        }
    }

    /// @notice `TxEnv` hash (`txEnvHash` while running).
    function hash(TxEnv memory e) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(e, 0x220)
        }
    }

    /// @notice The account-tree value of an account: keccak of its 192-byte record.
    function hash(AccountRecord memory a) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(a, 0xc0)
        }
    }

    /// @notice `PendingCopy` hash (a frame's `pendingOp`).
    function hash(PendingCopy memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0x100)
        }
    }

    /// @notice `PendingKeccak` hash.
    function hash(PendingKeccak memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0xe0)
        }
    }

    /// @notice `PendingCodeBuild` hash.
    function hash(PendingCodeBuild memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0x180)
        }
    }

    /// @notice `PendingCall` hash.
    function hash(PendingCall memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0x140)
        }
    }

    /// @notice `PendingExit` hash.
    function hash(PendingExit memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0x80)
        }
    }

    /// @notice `PendingCreate` hash.
    function hash(PendingCreate memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0xe0)
        }
    }

    /// @notice `PendingSelfdestruct` hash.
    function hash(PendingSelfdestruct memory p) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := keccak256(p, 0x40)
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                     CHAINS AND PAIRS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice `H(a ‖ b)` of two words (the shape of every chain link below).
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice The suspended-frame chain after suspending the frame `frameHash`
    ///         (empty chain = zero word): `H(suspendedFrames ‖ frameHash)`.
    function suspend(bytes32 suspendedFrames, bytes32 frameHash) internal pure returns (bytes32) {
        return hashPair(suspendedFrames, frameHash);
    }

    /// @notice What a frame saves at entry and restores on revert:
    ///         `H(worldRoot ‖ txContextHash)`.
    function revertSnapshot(bytes32 worldRoot, bytes32 txContextHash) internal pure returns (bytes32) {
        return hashPair(worldRoot, txContextHash);
    }

    /// @notice `H(traceContext ‖ w(txIndex))`: names the transaction in boundary states.
    function txLocator(bytes32 traceContext, uint256 txIndex) internal pure returns (bytes32) {
        return hashPair(traceContext, bytes32(txIndex));
    }

    /// @notice The machine hash before the first step of a transaction:
    ///         `Hw(0, preTxRoot, txLocator, 0, 0, 0, 0)` (`ITraceBinding.traceStart`).
    function traceStart(bytes32 traceContext, uint256 txIndex, bytes32 preTxRoot) internal pure returns (bytes32) {
        return _boundary(PHASE_TX_START, preTxRoot, txLocator(traceContext, txIndex));
    }

    /// @notice The absorbing last machine hash of a transaction:
    ///         `Hw(3, postTxRoot, txLocator, 0, 0, 0, 0)` (`ITraceBinding.traceEnd`).
    function traceEnd(bytes32 traceContext, uint256 txIndex, bytes32 postTxRoot) internal pure returns (bytes32) {
        return _boundary(PHASE_DONE, postTxRoot, txLocator(traceContext, txIndex));
    }

    /// @notice The log header `Hw(address, n, topic_1 .. topic_n)`.
    function logHeader(address account, bytes32[] memory topics) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            // Hash `address ‖ n ‖ topics` in place around the array's length slot.
            let n := mload(topics)
            let saved := mload(sub(topics, 0x20))
            mstore(sub(topics, 0x20), account)
            h := keccak256(sub(topics, 0x20), shl(5, add(n, 2)))
            mstore(sub(topics, 0x20), saved)
        }
    }

    /// @notice A log entry `H(header ‖ w(dataSize) ‖ dataHash)`.
    function logEntry(bytes32 header, uint256 dataSize, bytes32 dataHash) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            mstore(m, header)
            mstore(add(m, 0x20), dataSize)
            mstore(add(m, 0x40), dataHash)
            h := keccak256(m, 0x60)
        }
    }

    /// @notice The logs accumulator after appending `entry` (empty = zero word).
    function logsAccumulate(bytes32 accumulator, bytes32 entry) internal pure returns (bytes32) {
        return hashPair(accumulator, entry);
    }

    /// @notice A set's enumeration chain after inserting `key`: `H(chain ‖ H(key))`.
    function setChainPush(bytes32 chain, bytes memory key) internal pure returns (bytes32) {
        return hashPair(chain, keccak256(key));
    }

    /// @notice `setChainPush` for a 20-byte address key.
    function setChainPushAddress(bytes32 chain, address account) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, shl(96, account))
            mstore(0x20, keccak256(0x00, 0x14))
            mstore(0x00, chain)
            h := keccak256(0x00, 0x40)
        }
    }

    function _boundary(uint256 phase, bytes32 root, bytes32 locator) private pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            let m := mload(0x40)
            mstore(m, phase)
            mstore(add(m, 0x20), root)
            mstore(add(m, 0x40), locator)
            mstore(add(m, 0x60), 0)
            mstore(add(m, 0x80), 0)
            mstore(add(m, 0xa0), 0)
            mstore(add(m, 0xc0), 0)
            h := keccak256(m, 0xe0)
        }
    }
}
