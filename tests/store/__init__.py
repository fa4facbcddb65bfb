"""Tests of soundness_live.store."""
