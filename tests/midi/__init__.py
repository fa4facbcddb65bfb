"""Tests of soundness_live.midi."""
