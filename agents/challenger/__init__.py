"""Challenger and defender agents: watch packs, judge, play dispute games, resume."""
