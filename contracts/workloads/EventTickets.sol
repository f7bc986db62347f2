// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title EventTickets
/// @notice Event ticketing on a flash layer: each ticket is an ERC-721 token with a tier
///         and a seat number. Buyers pay the tier's price in ETH; seats are numbered in
///         purchase order within a tier. Tickets may change hands until the event starts,
///         never after they were checked in; the organizer checks tickets in at the gate
///         until the event ends and withdraws the proceeds.
/// @dev Tickets are minted with `_mint` (no receiver callback): buying makes no external
///      call. Transfer rules live in `_update`, the single hook every OpenZeppelin 5
///      transfer path goes through.
contract EventTickets is ERC721 {
    /// @notice One ticket tier (e.g. floor, balcony).
    struct Tier {
        uint128 price;
        uint32 capacity;
        uint32 sold;
    }

    /// @notice What a ticket entitles its holder to.
    struct Ticket {
        uint32 tier;
        uint32 seat;
        bool checkedIn;
    }

    /// @notice Who runs the event: checks tickets in and receives the proceeds.
    address public immutable ORGANIZER;
    /// @notice Sales and transfers close at this timestamp.
    uint64 public immutable EVENT_START;
    /// @notice Check-in closes at this timestamp.
    uint64 public immutable EVENT_END;
    /// @notice Tickets one wallet may buy.
    uint32 public immutable WALLET_LIMIT;

    /// @notice Tickets issued so far (also the last ticket id).
    uint256 public ticketsIssued;
    /// @notice Tickets bought by each wallet.
    mapping(address wallet => uint256 count) public boughtBy;

    Tier[] private _tiers;
    mapping(uint256 ticketId => Ticket) private _tickets;

    /// @notice Thrown at deployment for an empty or inconsistent tier list, or a zero limit.
    error InvalidConfiguration();
    /// @notice Thrown at deployment when the organizer is the zero address.
    error ZeroOrganizer();
    /// @notice Thrown at deployment when the event does not end after it starts.
    /// @param start `EVENT_START`.
    /// @param end `EVENT_END`.
    error InvalidSchedule(uint64 start, uint64 end);
    /// @notice Thrown for a tier index that does not exist.
    /// @param tier The index given.
    error UnknownTier(uint256 tier);
    /// @notice Thrown when buying at or after the event start.
    error SalesClosed();
    /// @notice Thrown when a tier has no seat left.
    /// @param tier The tier.
    error TierSoldOut(uint256 tier);
    /// @notice Thrown when the ETH sent is not exactly the tier's price.
    /// @param expected The price.
    /// @param sent `msg.value`.
    error WrongPayment(uint256 expected, uint256 sent);
    /// @notice Thrown when a wallet would exceed its ticket limit.
    /// @param wallet The buyer.
    /// @param limit `WALLET_LIMIT`.
    error WalletLimitReached(address wallet, uint256 limit);
    /// @notice Thrown when a non-organizer checks in or withdraws.
    /// @param caller The account that tried.
    error NotOrganizer(address caller);
    /// @notice Thrown for a ticket id that was never issued.
    /// @param ticketId The id.
    error UnknownTicket(uint256 ticketId);
    /// @notice Thrown when checking in a ticket twice.
    /// @param ticketId The ticket.
    error AlreadyCheckedIn(uint256 ticketId);
    /// @notice Thrown when checking in after the event ended.
    error CheckInClosed();
    /// @notice Thrown when moving a ticket that was checked in.
    /// @param ticketId The ticket.
    error TicketLocked(uint256 ticketId);
    /// @notice Thrown when moving a ticket at or after the event start.
    /// @param ticketId The ticket.
    error TransfersClosed(uint256 ticketId);
    /// @notice Thrown when there are no proceeds to withdraw.
    error NothingToWithdraw();
    /// @notice Thrown when the organizer refuses the ETH.
    error WithdrawFailed();

    /// @notice Emitted when a ticket is bought.
    /// @param buyer The buyer (first holder).
    /// @param ticketId The new token id.
    /// @param tier Its tier.
    /// @param seat Its seat number within the tier (from 1).
    /// @param price Wei paid.
    event TicketPurchased(address indexed buyer, uint256 indexed ticketId, uint256 indexed tier, uint256 seat, uint256 price);
    /// @notice Emitted when the organizer checks a ticket in.
    /// @param ticketId The ticket.
    /// @param holder Its holder at the gate.
    event TicketCheckedIn(uint256 indexed ticketId, address indexed holder);
    /// @notice Emitted when the organizer withdraws the proceeds.
    /// @param organizer Receiver.
    /// @param amount Wei withdrawn.
    event ProceedsWithdrawn(address indexed organizer, uint256 amount);

    /// @param name_ Collection name (e.g. the event's name).
    /// @param symbol_ Collection symbol.
    /// @param organizer The organizer.
    /// @param eventStart When sales and transfers close.
    /// @param eventEnd When check-in closes (after `eventStart`).
    /// @param walletLimit Tickets per wallet (> 0).
    /// @param prices Price of each tier in wei.
    /// @param capacities Seats of each tier (> 0 each).
    constructor(
        string memory name_,
        string memory symbol_,
        address organizer,
        uint64 eventStart,
        uint64 eventEnd,
        uint32 walletLimit,
        uint128[] memory prices,
        uint32[] memory capacities
    ) ERC721(name_, symbol_) {
        // INVARIANT: checks-in and proceeds always have someone to go to.
        if (organizer == address(0)) revert ZeroOrganizer();
        // INVARIANT: the event has a non-empty time window.
        if (eventEnd <= eventStart) revert InvalidSchedule(eventStart, eventEnd);
        // INVARIANT: every tier has a price and a positive capacity.
        if (prices.length == 0 || prices.length != capacities.length || walletLimit == 0) {
            revert InvalidConfiguration();
        }
        for (uint256 i = 0; i < prices.length; ++i) {
            if (capacities[i] == 0) revert InvalidConfiguration();
            _tiers.push(Tier({price: prices[i], capacity: capacities[i], sold: 0}));
        }
        ORGANIZER = organizer;
        EVENT_START = eventStart;
        EVENT_END = eventEnd;
        WALLET_LIMIT = walletLimit;
    }

    // ---------------------------------------------------------------------------------
    // Actions
    // ---------------------------------------------------------------------------------

    /// @notice Buy one ticket of `tier`, paying its exact price.
    /// @return ticketId The new ticket.
    function buy(uint256 tier) external payable returns (uint256 ticketId) {
        // INVARIANT: tickets are only sold before the event.
        if (block.timestamp >= EVENT_START) revert SalesClosed();
        // INVARIANT: only existing tiers are sold.
        if (tier >= _tiers.length) revert UnknownTier(tier);
        Tier storage t = _tiers[tier];
        // INVARIANT: seats sold never exceed the tier's capacity.
        if (t.sold >= t.capacity) revert TierSoldOut(tier);
        // INVARIANT: the contract's balance is exactly the unpaid proceeds.
        if (msg.value != t.price) revert WrongPayment(t.price, msg.value);
        uint256 bought = boughtBy[msg.sender];
        // INVARIANT: no wallet buys more than WALLET_LIMIT tickets.
        if (bought >= WALLET_LIMIT) revert WalletLimitReached(msg.sender, WALLET_LIMIT);

        uint32 seat = t.sold + 1;
        t.sold = seat;
        boughtBy[msg.sender] = bought + 1;
        ticketId = ++ticketsIssued;
        _tickets[ticketId] = Ticket({tier: uint32(tier), seat: seat, checkedIn: false});
        _mint(msg.sender, ticketId);
        emit TicketPurchased(msg.sender, ticketId, tier, seat, msg.value);
    }

    /// @notice Check ticket `ticketId` in at the gate. Only the organizer, until the end.
    function checkIn(uint256 ticketId) external {
        // INVARIANT: only the organizer admits people.
        if (msg.sender != ORGANIZER) revert NotOrganizer(msg.sender);
        // INVARIANT: nobody is admitted after the event.
        if (block.timestamp >= EVENT_END) revert CheckInClosed();
        address holder = _ownerOf(ticketId);
        if (holder == address(0)) revert UnknownTicket(ticketId);
        Ticket storage ticket = _tickets[ticketId];
        // INVARIANT: a ticket admits one person once.
        if (ticket.checkedIn) revert AlreadyCheckedIn(ticketId);
        ticket.checkedIn = true;
        emit TicketCheckedIn(ticketId, holder);
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

    // ---------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------

    /// @notice Number of tiers.
    function tierCount() external view returns (uint256) {
        return _tiers.length;
    }

    /// @notice Price, capacity and seats sold of `tier`.
    function tierInfo(uint256 tier) external view returns (Tier memory) {
        if (tier >= _tiers.length) revert UnknownTier(tier);
        return _tiers[tier];
    }

    /// @notice Tier, seat and check-in flag of `ticketId`.
    function ticketInfo(uint256 ticketId) external view returns (Ticket memory) {
        if (_ownerOf(ticketId) == address(0)) revert UnknownTicket(ticketId);
        return _tickets[ticketId];
    }

    // ---------------------------------------------------------------------------------
    // Transfer restrictions
    // ---------------------------------------------------------------------------------

    /// @dev Every mint, transfer and burn passes here. Transfers (not mints) are refused
    ///      for checked-in tickets and from the event start on.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        address from = _ownerOf(tokenId);
        if (from != address(0)) {
            // INVARIANT: the holder at the gate is the holder for the rest of the event.
            if (_tickets[tokenId].checkedIn) revert TicketLocked(tokenId);
            // INVARIANT: no resale once the event has started.
            if (block.timestamp >= EVENT_START) revert TransfersClosed(tokenId);
        }
        return super._update(to, tokenId, auth);
    }
}
