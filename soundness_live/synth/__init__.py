"""The synth (real-time): renderer, voices, envelopes, output stage, limiter."""
