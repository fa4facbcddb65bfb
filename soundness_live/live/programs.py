"""Programs chosen while the engine runs are laid out off the audio thread.

The bundled bank and TimGM6mb are laid out whole before the output starts; a large bank
(FluidR3: about 1.2 GB laid out) only for the programs on its channels. A program chosen
later — by a device's role, a program change the engine schedules for a prompt, a program
change from a device — would lay out its samples in the audio callback the first time it
sounds (milliseconds to tens of milliseconds). The live synth is :attr:`~.Synth.realtime`
instead: until the program is ready its notes play the nearest program laid out, and
:class:`ProgramPreparer`'s thread lays it out, asked ahead where the engine knows the
program ahead (``request``) or by the synth itself when a program change reaches it. The log
says which program stood in and when the chosen one is ready.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from ..core.events import DRUM_CHANNEL, ProgramChange
from ..synth.sf2.read import DRUM_BANK

log = logging.getLogger(__name__)

POLL_S = 0.05  # how soon a program the synth asked for is laid out (its stand-in plays until)


class ProgramPreparer:
    """A thread laying out the programs asked for, for a :attr:`~.Synth.realtime` synth."""

    def __init__(self, synth: Any) -> None:
        self.synth = synth
        self.prepared = 0  # programs laid out while the engine ran
        self.errors = 0  # programs whose preparation raised (logged)
        self._asked: deque[tuple[int, int]] = deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self, bank: int, program: int) -> None:
        """Lay out (``bank``, ``program``) soon, before it is chosen if it can be."""
        self._asked.append((bank, program))
        self._wake.set()

    def request_change(self, change: ProgramChange) -> None:
        """Lay out the program ``change`` selects (the drum channel's bank 0 is the drums)."""
        drums = change.channel == DRUM_CHANNEL and change.bank == 0
        self.request(DRUM_BANK if drums else change.bank, change.program)

    def start(self) -> None:
        """Start the thread (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="prepare-programs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (what was asked and not laid out stays asked)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None

    def run_once(self) -> int:
        """Say which programs stood in, then lay out every program asked for; how many were
        laid out now."""
        synth, done = self.synth, 0
        while synth.stand_ins:
            channel, chosen, stand_in = synth.stand_ins.popleft()
            log.info(
                "%s is not laid out yet: channel %d plays %s until it is",
                _name(chosen), channel + 1, _name(stand_in) if stand_in else "nothing",
            )  # fmt: skip
        while synth.wanted or self._asked:
            queue = synth.wanted if synth.wanted else self._asked
            bank, program = queue.popleft()
            try:
                if synth.prepare_program(bank, program, _let_the_callback_in):
                    done += 1
                    log.info("bank %d program %d is laid out and plays from now", bank, program)
            except Exception:  # a bad program number from a device: the thread carries on
                self.errors += 1
                log.exception("laying out bank %d program %d failed", bank, program)
        self.prepared += done
        return done

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.run_once()
            self._wake.wait(POLL_S)
            self._wake.clear()


def _let_the_callback_in() -> None:
    """Between two regions' samples: give up the GIL, so the audio callback waiting for it
    runs now (one region of FluidR3 takes up to ~20-40 ms to lay out on a loaded machine)."""
    time.sleep(0)


def _name(preset: Any) -> str:
    return f"{preset.name} (bank {preset.bank} program {preset.program})"
