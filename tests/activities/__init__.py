"""Tests of soundness_live.activities."""
