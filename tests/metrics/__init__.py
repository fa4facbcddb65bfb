"""Tests of soundness_live.metrics."""
