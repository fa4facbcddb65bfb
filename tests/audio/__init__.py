"""Tests of soundness_live.audio."""
