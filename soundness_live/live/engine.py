"""The live engine: renderer and output, MIDI inputs, activities on a thread, the store.

:class:`Engine` is what the engine process (:mod:`soundness_live.live.process`) serves: it
is what the protocol's commands act on (the table of :mod:`soundness_live.live.commands`,
plain functions over the engine), runs one activity at a time on its own thread through
:class:`~soundness_live.live.timeline.LiveSink` /
:class:`~soundness_live.live.input.LiveInput` (or a virtual child), owns every store write (a
trial is committed before it is reported) and builds the state snapshots clients see
(:meth:`Engine.snapshot`).
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..activities.base import Response
from ..activities.contract import Outcome
from ..activities.record import TrialRecord
from ..audio.backends import open_output
from ..config import DB_NAME
from ..core.clock import ClockMapping
from ..core.events import DeviceChange
from ..core.session import Session, SessionHooks
from ..midi.jack_frames import OutputFrameTap
from ..players.volume_cap import clamp_cap_dbfs
from ..store.records import Store
from ..store.session import StoredSession
from . import plan_play
from .engine_cues import EngineCues, PendingCue
from .engine_setup import (
    exact_thru,
    live_figures,
    make_renderer,
    midi_host,
    sound_output_status,
)
from .input import LiveInput
from .midi_watch import EngineMidiInput, MidiWatcher, check_midi_input
from .output_watch import OutputWatch
from .programs import ProgramPreparer
from .remote_link import RemoteLink
from .remote_process import RemoteProcess
from .tap_marks import TapMarks
from .thru import DEFAULT_THRU_MODE, ThruTiming
from .timeline import LiveSink, LiveTimeline, SessionStopped
from .voice import LiveVoiceMeter

log = logging.getLogger(__name__)
RECENT_TRIALS = 8
MICROPHONE_CHECK_S = 5.0  # how long closing waits for the microphone check to end
# While the engine plays, a thread holding the GIL hands it over after this long when another
# asks (Python's default: 5 ms). The audio callback asks for it at every block, on entry and
# after each compiled call (the synth kernel and the output stage release it while they run):
# with 5 ms, a busy engine thread (a snapshot, a trial's scoring) could hold the callback past
# its period (2.7 ms at 128 frames) and the server counted an x-run.
GIL_SWITCH_S = 0.0005
# Python's cycle collector holds the GIL while it runs; a full collection walks every object
# the process holds, some 150,000 once a General MIDI SoundFont is loaded (FluidR3: 22-33 ms,
# ten 128-frame periods the callback would wait). What start-up made is frozen when the engine
# starts (gc.freeze: never walked again), so a collection while it plays walks only what was
# made since; closing gives those objects back to the collector.


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs: data directory, audio and MIDI backends, synth, rates."""

    data_dir: Path
    audio: str = "auto"
    audio_device: str | None = None
    midi: str = "rtmidi"
    midi_api: str | None = None
    synth: str = "auto"
    soundfont: Path | None = None
    sample_rate: int = 48_000
    block_size: int = 128
    snapshot_hz: float = 4.0
    thru_mode: str = "auto"  # auto: constant on frame-exact JACK stamps, else the thru default
    thru_delay_ms: float | None = None  # constant mode's added delay; None: one block + 1 ms


class Engine(EngineCues):
    """One engine: sound, inputs, the running activity and the stored session."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self.sample_rate = options.sample_rate
        self.broadcast: Callable[[dict[str, Any]], None] = lambda msg: None
        self._cue_generation = 0  # cues announced ahead are shown only if still current
        self._done_cue: PendingCue | None = None  # "done", shown once its trial is scored
        self.changed = threading.Event()
        self.renderer, self.soundfont = make_renderer(options.synth, options.soundfont, options)
        # --midi jack: the output's blocks tell the JACK MIDI input their JACK frames
        self.frame_tap = OutputFrameTap(self.renderer) if options.midi == "jack" else None
        self.output = open_output(
            self.frame_tap or self.renderer, options.audio, options.audio_device,
            options.block_size, options.sample_rate,
        )  # fmt: skip
        self.output_name = self.output.name
        self.sound_output = sound_output_status(self.output, self.renderer)
        if self.sound_output != "ok":
            log.warning("no sound output: %s", self.sound_output.removeprefix("none: "))
        self.microphone: str | None = None  # "ok: NAME" or "none: why", once checked
        self._microphone_check: threading.Thread | None = None
        self._portaudio_released = False  # by the microphone check: started again on close
        self.output_watch = OutputWatch(lambda: self.renderer.frame)
        self.timeline = LiveTimeline(
            lambda: self.renderer.frame, lambda: self.output.mapping, self.sample_rate
        )
        self.sink = LiveSink(
            self.renderer, self.timeline, self.output.latency_s, options.block_size
        )
        thru = self._thru(DEFAULT_THRU_MODE if options.thru_mode == "auto" else options.thru_mode)
        self.live_input = LiveInput(
            self.renderer, lambda: self.output.mapping, self.sample_rate, notify=self._device,
            thru=thru,
        )  # fmt: skip
        synth = getattr(self.renderer, "synth", None)  # none: the silent stand-in
        self.programs = ProgramPreparer(synth) if synth is not None else None
        if self.programs is not None:
            self.sink.on_program = self.live_input.on_program = self.programs.request_change
        self.midi: EngineMidiInput | None = None
        self.midi_watch: MidiWatcher | None = None  # starts the input's ended threads again
        self.store = Store.open(options.data_dir / DB_NAME)
        self.stored: StoredSession | None = None
        self.child: str | None = None
        self.volume_cap_dbfs = -12.0
        self.child_cap_dbfs: float | None = None
        self.prompt_level = "independent"
        self.plan: plan_play.LivePlan | None = None  # the session plan playing, if one is
        self.remote = RemoteLink(options.data_dir)  # the browser remote and its paired devices
        self.remote_process = RemoteProcess(options.data_dir, self.remote)  # started from here
        self._lock = threading.RLock()  # commands come from several client threads
        self._thread: threading.Thread | None = None
        self._state: dict[str, Any] = {"activity": None, "last_result": None}
        self._recent: list[dict[str, Any]] = []
        # the session frame from which the trial in progress is heard (its first cue); None:
        # between trials, from a trial's record until the next one's first cue is heard
        self.trial_heard_from: float | None = None
        self.tap_marks = TapMarks(self.sample_rate)  # the child's taps as they land
        self._seen_skips = 0
        self._output_errors_logged = 0  # audio blocks that failed, logged so far
        self.voice_meter: LiveVoiceMeter | None = None  # while a live microphone listens
        # opens a stand-in for the live microphone: live_voice's ``open_microphone`` (tests)
        self.open_microphone: Callable[[int, Callable[[], ClockMapping]], Any] | None = None
        self._switch_before: float | None = None  # the GIL switch interval before start
        self.set_cap(self.volume_cap_dbfs)

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the audio output and the MIDI inputs; look for a microphone meanwhile."""
        if self._switch_before is None:
            self._switch_before = sys.getswitchinterval()
            sys.setswitchinterval(min(GIL_SWITCH_S, self._switch_before))
            gc.freeze()  # the SoundFont, the synth and the plans: no collection walks them
        if self.programs is not None:
            self.programs.start()
        self.output.start()
        self.output_watch.restart()
        self.sink.start()  # the engine's feeder: scheduled sounds reach the renderer in time
        self._microphone_check = threading.Thread(
            target=self._check_microphone, name="check-microphone", daemon=True
        )
        self._microphone_check.start()
        if self.options.midi in ("rtmidi", "jack"):  # "jack" falls back to rtmidi, saying why
            from ..midi.open_input import open_midi_input, output_on_jack

            on_jack = output_on_jack(self.output)
            midi: EngineMidiInput = open_midi_input(  # checked against the protocol here
                self.options.midi,
                self.options.midi_api,
                on_event=self.live_input.on_event,
                on_device_change=self.live_input.on_device_change,
                mapping=lambda: self.output.mapping,
                frame_tap=self.frame_tap if on_jack else None,
                host=midi_host(self.output),  # the JACK output: one client for both
                queue_size=0,  # the thru listener takes every event: no queue to fill up
            )
            self.use_midi_input(midi)
            from ..midi.jack_input import JackMidiInputs

            exact = on_jack and isinstance(midi, JackMidiInputs)
            if exact and self.options.thru_mode == "auto":
                # frame-exact stamps: each thru note keeps the same latency (no block jitter)
                self.live_input.thru = exact_thru(self.options, self.output)
        self.changed.set()

    def use_midi_input(self, midi: object) -> None:
        """Read the child's playing from ``midi`` (it must follow :class:`EngineMidiInput`:
        TypeError naming what it lacks), its threads watched from now on."""
        self.midi = check_midi_input(midi)
        if self.midi_watch is not None:
            self.midi_watch.stop()
        self.midi_watch = MidiWatcher(self.midi, lambda names: self.changed.set())
        self.midi_watch.start()  # the snapshot then says which thread failed, and restarted

    def _check_microphone(self) -> None:
        """Whether a vocal activity will find a microphone: the therapist sees it before
        starting one, not as a refusal after the tap."""
        # PortAudio starts on this thread, not ours
        from ..audio.mic import microphone_status, release_loaded_portaudio

        self.microphone = microphone_status()
        if midi_host(self.output) is not None:
            # on the JACK output PortAudio serves only the microphone: stopped until one
            # opens, it keeps no JACK client beside the engine's (an x-run each time it is late)
            self._portaudio_released = release_loaded_portaudio()
        if not self.microphone.startswith("ok"):
            log.warning("no microphone: %s", self.microphone.removeprefix("none: "))
        self.changed.set()

    def _thru(self, mode: str) -> ThruTiming:
        options = self.options
        return ThruTiming.for_output(
            options.block_size, options.sample_rate, mode, options.thru_delay_ms
        )

    def close(self, saved: Callable[[], object] | None = None) -> None:
        """Stop everything; a session still open is marked interrupted.

        The store is saved and closed first, then ``saved()`` is called (the engine process
        arms its shutdown watchdog there: nothing is left to lose), then the devices stop: a
        vanished audio server or device can block its stop.
        """
        with self._lock:
            plan_play.end_plan(self)
            self.stop_activity()
            if self.stored is not None:
                self.store_playing_between()
                self.stored.close(ok=False)
                self.stored = None
        self.store.close()
        if saved is not None:
            saved()
        self.remote_process.close()
        if self.midi_watch is not None:
            self.midi_watch.stop()
        if self.midi is not None:
            self.midi.stop()
        self.live_input.stop()
        self.sink.stop()
        self.output.stop()
        if self.programs is not None:
            self.programs.stop()
        self._give_portaudio_back()
        if self._switch_before is not None:  # as this process had it (engines run in tests too)
            sys.setswitchinterval(self._switch_before)
            self._switch_before = None
            gc.unfreeze()  # what the engine held can be collected once it is let go

    def _give_portaudio_back(self) -> None:
        """PortAudio running again if the microphone check stopped it, as this process had it
        before the engine started (an engine is also built inside other programs and tests)."""
        check = self._microphone_check
        if check is not None:
            check.join(MICROPHONE_CHECK_S)  # a check still running would release it after
        if self._portaudio_released:
            from ..audio.mic import restart_portaudio

            self._portaudio_released = False
            restart_portaudio()

    # -- what the commands act through (live/commands.py) ---------------------------------------
    @property
    def lock(self) -> threading.RLock:
        """The engine's lock: a command runs holding it (commands come from several client
        threads, see :func:`~soundness_live.live.commands.handle`)."""
        return self._lock

    @property
    def activity_running(self) -> bool:
        """True while an activity's thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def state_of(self, key: str) -> Any:
        """One field of the engine's own state (``activity``, ``paused``...)."""
        return self._state.get(key)

    def update_state(self, **fields: Any) -> None:
        """Set fields of the engine's own state (clients see them in the next snapshot)."""
        self._state.update(fields)

    def new_cue_run(self) -> None:
        """A new activity run, a skip, a pause or a stop: cues announced before never show."""
        self._cue_generation += 1

    def begin(self, session: Session, **state: Any) -> None:
        """Run ``session`` on the activity thread, with ``state`` in the engine's state; the
        last activity's figures and taps are cleared, and the quiet button's quiet ends: this
        activity plays."""
        self.tap_marks.clear()
        self.trial_heard_from = 0.0  # the first trial is in progress from the start
        self._state.update(figures=None, quiet=False)
        self._state.update(state)
        self._thread = threading.Thread(target=self._run, args=(session,), name="activity")
        self._thread.start()

    def silence(self) -> None:
        """Every sound fades out now, with or without an activity: scheduled sounds, prompts
        and the notes a child still holds through thru (their keys may stay down)."""
        self.sink.drop_pending()  # the activity's sounds not yet handed on, then a panic
        self.live_input.all_notes_off(None)
        self.renderer.panic(50.0)  # after the thru note-offs: nothing queued before survives

    def store_playing_between(self, held_back: bool = False) -> None:
        """Notes played while no activity listened (before the first, between two, after the
        last) go into the open session's input events: nothing scores them, but the log shows
        the child played. Outside a stored session they only sounded. ``held_back``: notes
        still held wait for their note-off (see ``LiveInput.drain``)."""
        played = [r for r in self.live_input.drain(held_back) if r.frame >= 0]  # < 0: before
        if self.stored is not None and played:
            self.stored.record_responses(played, self.live_input.input_kind)

    def set_cap(self, dbfs: Any) -> float:
        """Set the volume cap, never above the chosen child's own; the cap set."""
        cap = clamp_cap_dbfs(dbfs, self.child_cap_dbfs)
        stage = getattr(self.renderer, "output_stage", None)
        if stage is not None:
            stage.set_cap_dbfs(cap)
        else:
            self.renderer.cap_dbfs = cap
        self.volume_cap_dbfs = cap
        return cap

    # -- the activity thread ---------------------------------------------------------------------
    def _run(self, session: Session) -> None:
        result = "finished"
        try:
            session.run()
        except SessionStopped:
            result = "stopped"
        except Exception as error:
            log.exception("activity %s failed", session.activity.name)
            result = f"failed: {error}"
            self.broadcast_notice(f"the activity stopped: {error}")
        finally:  # in a stored session the notes played next go on its axis
            self.live_input.timeline = self.timeline if self.stored is not None else None
            if self.voice_meter is not None:
                self.voice_meter.stop()
                self.voice_meter = None
            stop_voice = getattr(session.voice, "stop", None)
            if stop_voice is not None:
                stop_voice()  # the microphone is open only while it is needed
            if result != "finished":
                self.sink.drop_pending()
        with self._lock:
            self._end_cues()
            self._state.update(activity=None, last_result=result, paused=False)
            plan_play.activity_ended(self, result)
        self.changed.set()

    def stop_activity(self) -> None:
        """Stop the activity running, if one runs (its trial in progress is kept)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._end_cues()  # at once: the activity thread may take a while to wind down
        self.timeline.stop()
        self.sink.drop_pending()
        self._lock.release()  # the activity thread may need the lock to finish its trial
        try:
            thread.join(timeout=5.0)
        finally:
            self._lock.acquire()

    def hooks(self, activity: str, listens_to_devices: bool) -> SessionHooks:
        """The session's hooks: the store's (a trial is committed before it is reported),
        reporting to the clients, and what cuts a trial short, which the Session voids: the
        therapist's skip or pause, or (with ``listens_to_devices``) a device of the child's
        disconnected during it or none connected at its end."""
        self._seen_skips = len(self.timeline.skips)  # a skip before the activity cuts nothing
        live = self.live_input
        lost_before = [live.child_devices_lost]  # as the activity starts

        def cut_short(proposed: TrialRecord) -> str | None:
            why = None
            if len(self.timeline.skips) > self._seen_skips:
                self._seen_skips = len(self.timeline.skips)
                why = "paused" if self.timeline.paused else "skipped"
            lost = live.child_devices_lost > lost_before[0] or not live.child_devices()
            lost_before[0] = live.child_devices_lost
            counted = proposed.outcome is not Outcome.VOID
            if why is None and listens_to_devices and lost and counted:
                # the child may have answered where nothing listened
                why = "input device disconnected"
            return why

        report = SessionHooks(on_trial=self._report_trial, on_cue=self._on_cue,
                              on_response=self._on_response, cut_short=cut_short)  # fmt: skip
        return self.stored.hooks(activity, report) if self.stored is not None else report

    def _on_response(self, response: Response) -> None:
        """The virtual child's taps, as the session takes them (they show once heard); a live
        child's are taken as played (``LiveInput.onsets``), not when the trial takes them."""
        if self._state.get("input") == "virtual" and response.player != "therapist":
            self.tap_marks.add(response.frame)

    def _report_trial(self, record: TrialRecord) -> None:
        figures = live_figures(record)
        summary = {
            "index": record.index,
            "activity": record.activity,
            "outcome": record.outcome.value,
            "prompt_level": record.prompt_level,
            "figures": figures,
        }
        with self._lock:
            self.prompt_level = "independent"
            self.trial_heard_from = None  # between trials until the next one's first cue
            self._recent = (self._recent + [summary])[-RECENT_TRIALS:]
            self._state["trials_done"] = self._state.get("trials_done", 0) + 1
            self._state["figures"] = figures
        self.broadcast({"v": 1, "type": "trial", "trial": summary})
        self._trial_done(record.outcome.value)
        self.changed.set()

    def forget_recent_trials(self) -> None:
        """A new session or another child: the trials and figures shown so far were the last
        one's (another child's, maybe), and marking "the last trial" must not reach them."""
        with self._lock:
            self._recent = []
            self._state["figures"] = None
        self.changed.set()

    def trial_in_progress(self) -> bool:
        """Whether a trial is in progress: an activity runs, not paused, and the child has
        heard its trial's first cue since the last trial's record (or the activity began)."""
        if not self.activity_running or self._state.get("paused"):
            return False
        return self.trial_heard_from is not None and self.timeline.now() >= self.trial_heard_from

    def trial_marked(self, record: dict[str, Any], was: str | None) -> dict[str, Any]:
        """A stored trial's prompt level was marked after it ended: the recent trials show it
        and every client is told (a ``trial`` message, ``marked``, with the level it had). Its
        summary."""
        summary = {
            "index": record["index"],
            "activity": record["activity"],
            "outcome": record["outcome"],
            "prompt_level": record["prompt_level"],
        }
        with self._lock:
            for shown in reversed(self._recent):  # the newest of that index: this session's
                if shown["index"] == record["index"]:
                    shown["prompt_level"] = record["prompt_level"]
                    summary["figures"] = shown.get("figures")
                    break
        # a trial message of its own kind: ``marked`` after it ended, ``was`` its level before
        self.broadcast({"v": 1, "type": "trial", "trial": summary, "marked": True, "was": was})
        self.changed.set()
        return summary

    # -- state -----------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """What every client sees: activity, cue, trials, devices, sound, session."""
        self._log_output_errors()
        change = self.output_watch.check()
        if change is not None:
            log.warning("%s: %s", change, self.output_watch.detail(self.output_name))
            self.broadcast_notice(self.output_watch.message(change, self.output_name))
        with self._lock:
            if self.stored is not None and (self._thread is None or not self._thread.is_alive()):
                self.store_playing_between(held_back=True)  # a long break loses nothing
            state = dict(self._state)
            state.update(
                session_id=self.stored.session_id if self.stored is not None else None,
                child=self.child,
                recent_trials=list(self._recent),
                prompt_level=self.prompt_level,
                volume_cap_dbfs=self.volume_cap_dbfs,
                child_cap_dbfs=self.child_cap_dbfs,
                now_ms=self.timeline.now() * 1000.0 / self.sample_rate,
                underruns=self.output.underruns,
                output_stalled=self.output_watch.stalled,
                output=self.output_name,
                sound_output=self.sound_output,
                microphone=self._microphone(),
                snapshot_hz=self.options.snapshot_hz,
                devices=self._devices(),
                child_devices=self.live_input.child_devices(),  # what a live activity hears
                midi_status=self.midi_status(),
                thru=self.live_input.thru.mode,
                **self._diagnostics(),
            )
            state.update(plan_play.plan_state(self, state))
            state["remote"] = {**self.remote.state(), **self.remote_process.state()}
            state["taps"] = self._taps_heard()
        state.setdefault("paused", False)
        state.setdefault("quiet", False)
        return state

    def _taps_heard(self) -> dict[str, Any] | None:
        """The trial's taps heard so far against its beats (``TapMarks.view``)."""
        onsets = self.live_input.onsets
        while onsets:
            self.tap_marks.add(onsets.popleft())
        return self.tap_marks.view(self.timeline.now())

    def _log_output_errors(self) -> None:
        """Log the audio blocks that failed since the last snapshot (the audio callback only
        counts them: it may not log)."""
        errors, error = self.output.errors, self.output.last_error
        if errors > self._output_errors_logged:
            log.error(
                "%d audio block(s) failed and played as silence (%d in all); the latest: %s",
                errors - self._output_errors_logged, errors, _failure_text(error),
            )  # fmt: skip
            self._output_errors_logged = errors

    def _microphone(self) -> str | None:
        """What a vocal activity with live input would hear through (None: not checked yet)."""
        return "ok: a stand-in microphone" if self.open_microphone else self.microphone

    def midi_status(self) -> str:
        """The MIDI input's status (a thread that ended says it failed, and why, once the
        input's watcher has started it again)."""
        if self.midi is None:
            return "off"
        return str(self.midi.status)

    def _diagnostics(self) -> dict[str, Any]:
        """Counters that say whether the sound kept time and the MIDI input kept up, and the
        live voice meter."""
        renderer, meter, midi = self.renderer, self.voice_meter, self.midi
        return {
            # MIDI byte strings that were not one whole message (a truncated pitch bend...)
            "midi_malformed_dropped": midi.malformed if midi is not None else 0,
            # MIDI messages over a device's flood limit or into a full queue
            "midi_flood_dropped": midi.flood_dropped if midi is not None else 0,
            "thru_late": self.live_input.thru_late,  # child's notes too late for their frame
            "late_events": renderer.late_events,  # scheduled sounds handed on after their frame
            "cancelled_events": renderer.cancelled_events,  # scheduled sounds a panic/skip cut
            "dropped_commands": renderer.dropped_commands,  # refused by a full renderer queue
            # failures, each counted where it happened and reported here
            "output_errors": self.output.errors,  # audio blocks that raised: played as silence
            "output_error": _failure_text(self.output.last_error) if self.output.errors else None,
            "feed_errors": self.sink.feed_errors,  # rounds of the sound feeder that raised
            # audio blocks whose JACK frame could not be read (--midi jack: stamps may be off)
            "jack_frame_errors": self.frame_tap.errors if self.frame_tap is not None else 0,
            "midi_failures": midi.failures if midi is not None else 0,  # callbacks, restarts
            "midi_queue_dropped": self.live_input.dropped,  # played notes no room was left for
            # the JACK output's process callback (MIDI, render, copy): cycles, time, longest
            **_callback_times(self.output),
            "voice_meter": meter.reading() if meter is not None else None,
        }

    def _devices(self) -> list[dict[str, Any]]:
        roles = self.live_input.roles
        return [
            {"device": name, "connected": up, "kind": roles.role_for(name).kind}
            for name, up in sorted(self.live_input.connected.items())
        ]

    def _device(self, text: str, change: DeviceChange) -> None:
        self.broadcast(
            {"v": 1, "type": "notice", "text": text, "device": change.device,
             "connected": change.connected}
        )  # fmt: skip
        self.changed.set()

    def broadcast_notice(self, text: str) -> None:
        """A message for the therapist's screen."""
        self.broadcast({"v": 1, "type": "notice", "text": text})


def _callback_times(output: Any) -> dict[str, float | int | None]:
    """Cycles of the output's process callback, those its compiled code rendered alone
    (quiet), the time spent in them (s) and the longest (us), when the output measures them
    (JACK); None otherwise."""
    if not hasattr(output, "callback_s"):
        return {
            "output_cycles": None,
            "output_quiet_cycles": None,
            "output_callback_s": None,
            "output_callback_max_us": None,
        }
    return {
        "output_cycles": output.cycles,
        "output_quiet_cycles": getattr(output, "quiet_cycles", 0),
        "output_callback_s": output.callback_s,
        "output_callback_max_us": 1e6 * output.callback_max_s,
    }


def _failure_text(error: BaseException | None) -> str:
    """An exception as one line: "ValueError: what it said"."""
    return "unknown" if error is None else f"{type(error).__name__}: {error}"
