"""The bundled General MIDI bank (soundfonts/soundness-gm.sf2), synthesised from scratch.

Everything here is deterministic numpy synthesis, so the bank's licence is the project's own
and it can be rebuilt wherever the package is installed (see :func:`build_bank`).
"""

from .assemble import BANK_NAME, MELODIC, bank_specs, build_bank

__all__ = ["BANK_NAME", "MELODIC", "bank_specs", "build_bank"]
