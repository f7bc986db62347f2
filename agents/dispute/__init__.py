"""Dispute games: the bisection game's Python side (state, solver, traces, responder)."""
