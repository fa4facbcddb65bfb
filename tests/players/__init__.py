"""Tests of soundness_live.players."""
