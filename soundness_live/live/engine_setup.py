"""Helpers of the live engine: the renderer it plays through, device settings, live figures.

Kept apart from :mod:`soundness_live.live.engine` so each stays readable; nothing here holds
state of its own.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..activities.record import TrialRecord
from ..activities.registry import find_activity
from ..errors import ParameterError
from ..players.profiles import ChildProfile
from ..players.roles import DeviceRole
from .input import LiveInput
from .tap_marks import beat_side
from .thru import ThruTiming
from .timeline import StandInRenderer

log = logging.getLogger(__name__)


def make_renderer(synth: str, soundfont: Path | None, options: Any) -> tuple[Any, dict[str, Any]]:
    """The SoundFont renderer (``synth="auto"``), or a silent stand-in (``"none"``, or when the
    synth cannot be built: the session still runs and is scored, without sound)."""
    info: dict[str, Any] = {"name": None, "sha256": None}
    if synth == "none":
        return StandInRenderer(why_silent="no synth chosen (--synth none)"), info
    if synth != "auto":
        raise ParameterError(f"synth must be 'auto' or 'none', got {synth!r}")
    try:
        return _synth_renderer(soundfont, options.sample_rate)
    except (ImportError, OSError, ValueError) as error:
        log.warning("SoundFont synth unavailable (%s): running without sound", error)
        return StandInRenderer(why_silent=f"the SoundFont synth could not start: {error}"), info


SILENT_SDL_DRIVERS = ("dummy", "disk")  # SDL drivers that play to nothing (or to a file)


def sound_output_status(output: Any, renderer: Any) -> str:
    """``"ok"``, or ``"none: why"`` when nothing the engine plays can be heard: the synth is a
    silent stand-in, the output is the null one (chosen, or what ``auto`` fell back to when
    no device opened) or SDL's driver plays to nothing. The therapist is told at once."""
    if isinstance(renderer, StandInRenderer):
        return f"none: {renderer.why_silent}"
    if output.backend == "null":
        return f"none: {output.fallback or 'the null output was chosen (--audio null)'}"
    driver = getattr(output, "driver", None)
    if output.backend == "sdl" and driver in SILENT_SDL_DRIVERS:
        return f"none: SDL's {driver} audio driver plays nothing (SDL_AUDIODRIVER={driver})"
    return "ok"


def midi_host(output: Any) -> Any | None:
    """The output whose JACK client the JACK MIDI input shares (``--audio jack``, or ``auto``
    on a running JACK server): the engine is then one JACK client, its MIDI read in the same
    process callback that renders, before the block. None for any other output."""
    return output if getattr(output, "backend", "") == "jack" else None


def exact_thru(options: Any, output: Any) -> ThruTiming:
    """Thru on frame-exact JACK stamps (``--thru auto``): constant, every note at its own
    frame plus the same delay. Sharing the output's client, a note is read and placed before
    the block that holds its frame renders, so no delay is added (the output latency alone,
    as a synth playing its own MIDI ports does); on a client of its own the note reaches the
    audio thread up to a block later, so the default adds one block + 1 ms
    (:func:`~.thru.default_delay_ms`). ``--thru-delay-ms`` sets it either way."""
    delay_ms = options.thru_delay_ms
    if delay_ms is None and midi_host(output) is not None:
        delay_ms = 0.0
    return ThruTiming.for_output(options.block_size, options.sample_rate, "constant", delay_ms)


def _synth_renderer(soundfont: Path | None, sample_rate: int) -> tuple[Any, dict[str, Any]]:
    from ..synth.renderer import build_renderer

    renderer, info = build_renderer(soundfont, sample_rate)
    renderer.synth.realtime = True  # programs chosen later are laid out off the callback
    return renderer, info


def apply_profile_devices(live: LiveInput, profile: ChildProfile | None) -> None:
    """The chosen child's device settings, in place of the last child's: role (player, kind,
    instrument) and playing aids; None (no child chosen): every device as it comes."""
    live.clear_settings()
    if profile is None:
        return
    for settings in profile.devices:
        player = profile.code if settings.role == "child" else "therapist"
        role = DeviceRole(settings.device, player, settings.kind, settings.instrument.program)
        live.set_role(role)
        live.set_aids(settings.device, settings.aid_settings())


def live_figures(record: TrialRecord) -> dict[str, Any]:
    """The few numbers a therapist reads live after a trial: how many responses came, the
    taps on, before and after the beat when the prompt marked its beats, and the activity's
    live metrics (:attr:`~soundness_live.activities.contract.MetricSpec.live`)."""
    metrics = record.metrics
    figures: dict[str, Any] = {"responses": len(record.responses)}
    if any(entry.get("beat") is not None for entry in record.prompt):
        figures.update(_beat_figures(record))
    activity = find_activity(record.activity)
    for metric in activity.live_metrics() if activity is not None else ():
        value = metrics.get(metric.name)
        if isinstance(value, (int, float, bool, str)) and value == value:
            figures[metric.name] = value
    return figures


def _beat_figures(record: TrialRecord) -> dict[str, int]:
    """Taps on the beat (within 10 % of the beat period), early and late: the rule the taps
    shown as they land follow too (``tap_marks.beat_side``)."""
    beats = [p["onset_ms"] for p in record.prompt if p.get("beat") is not None]
    taps = [r["onset_ms"] for r in record.responses]
    if len(beats) < 2 or not taps:
        return {"taps": len(taps), "on_beat": 0, "early": 0, "late": 0}
    gaps = sorted(b - a for a, b in zip(beats, beats[1:], strict=False))
    interval_ms = gaps[len(gaps) // 2]
    counts = {"taps": len(taps), "on_beat": 0, "early": 0, "late": 0}
    for tap in taps:
        counts[beat_side(min((tap - beat for beat in beats), key=abs), interval_ms)] += 1
    return counts
