// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title StackHash
/// @notice The stack hash chain of a frame (`docs/commitment.md`, section 4.2;
///         `commitment.stack_push_hash`, `StackCommitment`): the empty stack is the zero
///         word and `push(h, v) = keccak256(h ‖ w(v))`.
/// @dev A step that touches the top `k` items is given their values and `below` (the
///      commitment of everything under them) and checks that pushing them back onto
///      `below` gives the frame's `stackHash`. Item arrays here are **top first**
///      (`items[0]` is the top of the stack, as EVM operands are numbered). Size limits
///      (underflow, 1024) are checked by the caller against the frame's `stackSize`.
library StackHash {
    /// @notice The opened items and `below` do not fold to the frame's stack hash.
    error StackMismatch();

    /// @notice A DUPn / SWAPn opening has the wrong number of items.
    error BadStackOpening();

    /// @notice The commitment after pushing `value` onto the stack committed by `h`.
    function push(bytes32 h, uint256 value) internal pure returns (bytes32 r) {
        /// @solidity memory-safe-assembly
        assembly {
            mstore(0x00, h)
            mstore(0x20, value)
            r := keccak256(0x00, 0x40)
        }
    }

    /// @notice The commitment after pushing `items` (top first: `items[len-1]` is pushed
    ///         first) onto `below`.
    function fold(bytes32 below, uint256[] calldata items) internal pure returns (bytes32 h) {
        /// @solidity memory-safe-assembly
        assembly {
            h := below
            for { let p := add(items.offset, shl(5, items.length)) } gt(p, items.offset) {} {
                p := sub(p, 0x20)
                mstore(0x00, h)
                mstore(0x20, calldataload(p))
                h := keccak256(0x00, 0x40)
            }
        }
    }

    /// @notice Check that `items` (top first) sit on `below` in `stackHash`, and return
    ///         `below`: the stack after popping them.
    function pop(bytes32 stackHash, bytes32 below, uint256[] calldata items) internal pure returns (bytes32) {
        // INVARIANT: the opened items are the frame's top items.
        if (fold(below, items) != stackHash) revert StackMismatch();
        return below;
    }

    /// @notice `pop` of one item `a` (the top).
    function pop1(bytes32 stackHash, bytes32 below, uint256 a) internal pure returns (bytes32) {
        // INVARIANT: the opened item is the frame's top item.
        if (push(below, a) != stackHash) revert StackMismatch();
        return below;
    }

    /// @notice `pop` of two items: `a` on top of `b`.
    function pop2(bytes32 stackHash, bytes32 below, uint256 a, uint256 b) internal pure returns (bytes32) {
        // INVARIANT: the opened items are the frame's top two items.
        if (push(push(below, b), a) != stackHash) revert StackMismatch();
        return below;
    }

    /// @notice `pop` of three items: `a` on top of `b` on top of `c`.
    function pop3(bytes32 stackHash, bytes32 below, uint256 a, uint256 b, uint256 c) internal pure returns (bytes32) {
        // INVARIANT: the opened items are the frame's top three items.
        if (push(push(push(below, c), b), a) != stackHash) revert StackMismatch();
        return below;
    }

    /// @notice DUPn: `items` are the top `n` items (top first); pushes `items[n-1]`.
    function dup(bytes32 stackHash, bytes32 below, uint256[] calldata items) internal pure returns (bytes32) {
        uint256 n = items.length;
        // INVARIANT: DUP1..DUP16 open exactly n items.
        if (n == 0 || n > 16) revert BadStackOpening();
        pop(stackHash, below, items);
        return push(stackHash, items[n - 1]);
    }

    /// @notice SWAPn: `items` are the top `n + 1` items (top first); exchanges `items[0]`
    ///         and `items[n]` and returns the new commitment.
    function swap(bytes32 stackHash, bytes32 below, uint256[] calldata items) internal pure returns (bytes32 h) {
        uint256 m = items.length;
        // INVARIANT: SWAP1..SWAP16 open exactly n + 1 items.
        if (m < 2 || m > 17) revert BadStackOpening();
        pop(stackHash, below, items);
        // New order, bottom first: items[0] (old top) where items[n] was, the middle
        // unchanged, then items[n] on top.
        h = push(below, items[0]);
        for (uint256 i = m - 2; i > 0; --i) {
            h = push(h, items[i]);
        }
        h = push(h, items[m - 1]);
    }
}
