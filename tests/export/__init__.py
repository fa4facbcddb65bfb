"""Tests of soundness_live.export."""
