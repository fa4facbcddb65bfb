"""Tests of soundness_live.offline."""
