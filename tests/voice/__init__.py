"""Tests of soundness_live.voice."""
