"""Opening an audio output by backend name: ``auto`` tries JACK, then PortAudio, then SDL, then
the null output, each step down one log line saying why.

Apart from :mod:`.output` (the backends and their common part) because the JACK backend
(:mod:`.jack_output`) builds on that common part: choosing among them sits above both.
"""

from __future__ import annotations

import logging
from typing import Any

from ..core.clock import check_sample_rate
from ..errors import DeviceError, ParameterError
from .jack_output import JackOutput
from .output import BlockSource, NullOutput, OfflineOutput, Output, SdlOutput, SoundDeviceOutput

log = logging.getLogger(__name__)

BACKENDS = ("auto", "jack", "sounddevice", "sdl", "null", "offline")


def open_output(
    source: BlockSource,
    backend: str = "auto",
    device: Any = None,
    block_size: int = 128,
    sample_rate: int = 48_000,
) -> Output:
    """Open an output for ``source`` (not started).

    ``auto``: JACK when a JACK server runs and JACK-Client loads (one client, which the JACK
    MIDI input can share: :mod:`.jack_output`), else sounddevice, else SDL, else null; each
    step down is one log line saying why.
    """
    check_sample_rate(sample_rate)
    if not isinstance(block_size, int) or not 1 <= block_size <= 8192:
        raise ParameterError(f"block_size must be an integer in 1..8192 frames, got {block_size!r}")
    if backend not in BACKENDS:
        raise ParameterError(f"backend must be one of {BACKENDS}, got {backend!r}")
    simple = {"null": NullOutput, "offline": OfflineOutput}
    if backend in simple:
        return simple[backend](source, block_size, sample_rate)
    if backend == "sdl":
        return SdlOutput(source, block_size, sample_rate, device)
    if backend in ("jack", "auto"):
        try:
            return JackOutput(source, block_size, sample_rate, device, quiet=backend == "auto")
        except (OSError, DeviceError) as error:
            if backend == "jack":
                raise DeviceError(f"JACK output unavailable: {error}") from error
            log.info("JACK output unavailable (%s); trying PortAudio", error)
    return _open_portaudio_or_below(source, backend, device, block_size, sample_rate)


def _open_portaudio_or_below(
    source: BlockSource, backend: str, device: Any, block_size: int, sample_rate: int
) -> Output:
    """sounddevice; for ``auto``, SDL when PortAudio fails, then the null output."""
    try:
        return SoundDeviceOutput(source, block_size, sample_rate, device)
    except (OSError, DeviceError) as error:
        if backend == "sounddevice":
            raise DeviceError(f"sounddevice output unavailable: {error}") from error
        log.warning("PortAudio output unavailable (%s); trying SDL audio", error)
        portaudio = error
    try:
        opened: Output = SdlOutput(source, block_size, sample_rate, device)
        opened.fallback = f"PortAudio output unavailable: {portaudio}"
    except DeviceError as error:
        log.warning("SDL audio unavailable (%s); using the null output (no sound)", error)
        opened = NullOutput(source, block_size, sample_rate)
        opened.fallback = f"no audio output could be opened (PortAudio: {portaudio}; {error})"
    return opened
