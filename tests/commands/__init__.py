"""Tests of soundness_live.commands and the command line."""
