"""FluidSynth as the reference the synth tests compare with: libfluidsynth through pyfluidsynth,
reverb and chorus off, written in float (no 16-bit dither)."""

from __future__ import annotations

import ctypes
from typing import Any

from tests.conftest import require


def reference_synth(rate: int) -> tuple[Any, Any]:
    """(the ``fluidsynth`` module, a Synth at ``rate`` with reverb and chorus off); skips (fails
    under CI=true) without pyfluidsynth and libfluidsynth."""
    try:
        import fluidsynth
    except ImportError:
        fluidsynth = None
    require(
        fluidsynth is not None, "pyfluidsynth and libfluidsynth (apt-get install libfluidsynth3)"
    )
    synth = fluidsynth.Synth(samplerate=float(rate))
    for name in ("synth.reverb.active", "synth.chorus.active"):
        synth.setting(name, 0)
    return fluidsynth, synth


def float_writer(fluidsynth: Any) -> Any:
    """libfluidsynth's ``fluid_synth_write_float`` with its argument types: (synth, frames, left
    buffer, offset, stride, right buffer, offset, stride)."""
    write = fluidsynth._fl.fluid_synth_write_float
    channel = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]  # buffer, offset, stride
    write.argtypes = [ctypes.c_void_p, ctypes.c_int, *channel, *channel]
    return write
