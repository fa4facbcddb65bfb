"""Tests of soundness_live.synth.sf2."""
