// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title FlashMint
/// @notice An NFT mint event, the first flash-layer use case: a public mint of an
///         OpenZeppelin ERC-721 collection with a fixed maximum supply, a per-wallet
///         limit and a fixed price. Token ids run from 1 to `MAX_SUPPLY` in mint order.
///         Proceeds accrue to the contract and the organizer withdraws them.
/// @dev Mints use `_mint` (no receiver callback), so minting makes no external call and
///      needs no reentrancy guard; the only external call is the organizer's withdrawal,
///      made after its effects.
contract FlashMint is ERC721 {
    /// @notice Number of tokens that can ever exist.
    uint256 public immutable MAX_SUPPLY;
    /// @notice Tokens one wallet may mint over the whole event.
    uint256 public immutable WALLET_LIMIT;
    /// @notice Price of one token in wei (0 for a free mint).
    uint256 public immutable PRICE;
    /// @notice Who receives the proceeds.
    address public immutable ORGANIZER;

    /// @notice Tokens minted so far (also the last token id).
    uint256 public totalMinted;
    /// @notice Tokens minted by each wallet.
    mapping(address wallet => uint256 count) public mintedBy;

    string private _baseTokenUri;

    /// @notice Thrown at deployment when the supply or the wallet limit is zero.
    error InvalidConfiguration();
    /// @notice Thrown at deployment when the organizer is the zero address.
    error ZeroOrganizer();
    /// @notice Thrown when minting zero tokens.
    error ZeroQuantity();
    /// @notice Thrown when the mint would exceed the maximum supply.
    /// @param requested Tokens asked for.
    /// @param remaining Tokens still available.
    error SoldOut(uint256 requested, uint256 remaining);
    /// @notice Thrown when the mint would take a wallet past its limit.
    /// @param wallet The minting wallet.
    /// @param alreadyMinted Tokens it minted before.
    /// @param requested Tokens asked for.
    /// @param limit The per-wallet limit.
    error WalletLimitExceeded(address wallet, uint256 alreadyMinted, uint256 requested, uint256 limit);
    /// @notice Thrown when the ETH sent is not exactly the price of the tokens.
    /// @param expected `PRICE * quantity`.
    /// @param sent `msg.value`.
    error WrongPayment(uint256 expected, uint256 sent);
    /// @notice Thrown when anyone but the organizer withdraws.
    /// @param caller The account that tried.
    error NotOrganizer(address caller);
    /// @notice Thrown when there are no proceeds to withdraw.
    error NothingToWithdraw();
    /// @notice Thrown when the organizer refuses the ETH.
    error WithdrawFailed();

    /// @notice Emitted for every successful mint call.
    /// @param to The minter (and owner of the new tokens).
    /// @param firstTokenId Id of the first token minted in this call.
    /// @param quantity Tokens minted (ids `firstTokenId .. firstTokenId + quantity - 1`).
    /// @param paid Wei paid.
    event Minted(address indexed to, uint256 indexed firstTokenId, uint256 quantity, uint256 paid);
    /// @notice Emitted when the organizer withdraws the proceeds.
    /// @param organizer Receiver.
    /// @param amount Wei withdrawn.
    event ProceedsWithdrawn(address indexed organizer, uint256 amount);

    /// @param name_ Collection name.
    /// @param symbol_ Collection symbol.
    /// @param baseUri Prefix of every token URI (may be empty).
    /// @param maxSupply Tokens that can ever exist (> 0).
    /// @param walletLimit Tokens per wallet (> 0).
    /// @param price Wei per token.
    /// @param organizer Receiver of the proceeds.
    constructor(
        string memory name_,
        string memory symbol_,
        string memory baseUri,
        uint256 maxSupply,
        uint256 walletLimit,
        uint256 price,
        address organizer
    ) ERC721(name_, symbol_) {
        // INVARIANT: a mint event has something to sell, to someone.
        if (maxSupply == 0 || walletLimit == 0) revert InvalidConfiguration();
        // INVARIANT: proceeds always have a receiver.
        if (organizer == address(0)) revert ZeroOrganizer();
        MAX_SUPPLY = maxSupply;
        WALLET_LIMIT = walletLimit;
        PRICE = price;
        ORGANIZER = organizer;
        _baseTokenUri = baseUri;
    }

    /// @notice Mint `quantity` tokens to the caller, paying `PRICE * quantity`.
    /// @return firstTokenId Id of the first minted token.
    function mint(uint256 quantity) external payable returns (uint256 firstTokenId) {
        // INVARIANT: every call mints something.
        if (quantity == 0) revert ZeroQuantity();
        uint256 minted = totalMinted;
        // INVARIANT: supply never exceeds MAX_SUPPLY.
        if (quantity > MAX_SUPPLY - minted) revert SoldOut(quantity, MAX_SUPPLY - minted);
        uint256 mine = mintedBy[msg.sender];
        // INVARIANT: no wallet ever holds more than WALLET_LIMIT mints.
        if (quantity > WALLET_LIMIT - mine) {
            revert WalletLimitExceeded(msg.sender, mine, quantity, WALLET_LIMIT);
        }
        uint256 expected = PRICE * quantity;
        // INVARIANT: the contract's balance is exactly the unpaid proceeds.
        if (msg.value != expected) revert WrongPayment(expected, msg.value);

        firstTokenId = minted + 1;
        totalMinted = minted + quantity;
        mintedBy[msg.sender] = mine + quantity;
        for (uint256 i = 0; i < quantity; ++i) {
            _mint(msg.sender, firstTokenId + i);
        }
        emit Minted(msg.sender, firstTokenId, quantity, msg.value);
    }

    /// @notice Send every collected wei to the organizer. Only the organizer.
    function withdrawProceeds() external {
        // INVARIANT: only the organizer moves the proceeds.
        if (msg.sender != ORGANIZER) revert NotOrganizer(msg.sender);
        uint256 amount = address(this).balance;
        if (amount == 0) revert NothingToWithdraw();
        emit ProceedsWithdrawn(ORGANIZER, amount);
        (bool ok,) = ORGANIZER.call{value: amount}("");
        if (!ok) revert WithdrawFailed();
    }

    /// @notice Tokens still available.
    function remaining() external view returns (uint256) {
        return MAX_SUPPLY - totalMinted;
    }

    /// @inheritdoc ERC721
    function _baseURI() internal view override returns (string memory) {
        return _baseTokenUri;
    }
}
