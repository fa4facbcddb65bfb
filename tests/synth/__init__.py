"""Tests of soundness_live.synth."""
