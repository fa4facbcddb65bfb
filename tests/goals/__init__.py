"""Tests of soundness_live.goals."""
