"""Tests of soundness_live.ui."""
