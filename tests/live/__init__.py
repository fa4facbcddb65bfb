"""Tests of soundness_live.live."""
