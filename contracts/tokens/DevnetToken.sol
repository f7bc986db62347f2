// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DevnetToken
/// @notice A plain ERC-20 the devnet deploys for each stake token a rollup request names
///         (e.g. ALT, stSOL). Its deployer is the faucet: only it can mint.
contract DevnetToken is ERC20 {
    /// @notice The account allowed to mint (the devnet faucet).
    address public immutable faucet;

    /// @notice Thrown when anyone but the faucet tries to mint.
    /// @param caller The account that tried.
    error NotFaucet(address caller);

    /// @notice Thrown when minting to the zero address or minting zero tokens.
    error InvalidMint();

    /// @notice Emitted when the faucet mints tokens.
    /// @param to Receiver of the new tokens.
    /// @param amount Amount minted.
    event FaucetMinted(address indexed to, uint256 amount);

    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {
        faucet = msg.sender;
    }

    /// @notice Mint `amount` tokens to `to`. Only the faucet.
    function mint(address to, uint256 amount) external {
        // INVARIANT: only the faucet creates supply.
        if (msg.sender != faucet) revert NotFaucet(msg.sender);
        // INVARIANT: a mint has a real receiver and a non-zero amount.
        if (to == address(0) || amount == 0) revert InvalidMint();
        _mint(to, amount);
        emit FaucetMinted(to, amount);
    }
}
