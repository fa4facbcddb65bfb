"""Tests of soundness_live.core."""
