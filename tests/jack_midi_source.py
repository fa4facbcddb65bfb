"""A MIDI device on a JACK server, in a process of its own, that sends any bytes it is given.

Run as ``python -m tests.jack_midi_source CLIENT`` (the JACK server named in the
environment): it registers ``CLIENT:out``, prints ``ready``, then for each line on stdin

- ``send HEX HEX ...``: writes each byte string (``-`` for an empty one) as one JACK MIDI
  event, in order, in the next cycle, and prints ``sent XRUNS`` once that cycle ran (the
  server's x-runs so far: a client late for a cycle loses that cycle's events);
- ``flood RATE SECONDS HEX NOTE_EVERY_S NOTE_HEX``: writes the byte string RATE times a
  second for SECONDS, and NOTE_HEX every NOTE_EVERY_S, spread over each cycle's frames, then
  prints ``flooded SENT NOTES`` (how many of each were written).

In a process of its own because JACK waits for every client's process callback each cycle:
a Python callback in the test's process would wait for the GIL while python-rtmidi, in the
same process, closes a JACK client holding it (a deadlock). :class:`JackMidiSource` drives it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]  # the checkout: ``tests`` imports from there


class _Source:
    """The JACK client inside the process (see the module docstring)."""

    def __init__(self, name: str) -> None:
        import jack

        self.client = jack.Client(name, no_start_server=True)
        self.port = self.client.midi_outports.register("out")
        self.batches: deque[tuple[list[bytes], threading.Event]] = deque()
        self.flood: dict[str, Any] | None = None
        self.xruns = 0
        self.client.set_process_callback(self._process)
        self.client.set_xrun_callback(self._xrun)
        self.client.activate()

    def _process(self, frames: int) -> None:
        self.port.clear_buffer()
        if self.batches:
            events, done = self.batches.popleft()
            for offset, data in enumerate(events):
                self.port.write_midi_event(min(offset, frames - 1), data)
            done.set()
        if self.flood is not None:
            self._flood_cycle(self.flood, frames)

    def _xrun(self, _delay_usecs: float) -> None:
        self.xruns += 1

    def _flood_cycle(self, flood: dict[str, Any], frames: int) -> None:
        elapsed_s = time.monotonic() - flood["start_s"]
        if elapsed_s >= flood["seconds"]:
            flood["done"].set()
            return
        flood["owed"] += flood["rate"] * frames / self.client.samplerate
        count = int(flood["owed"])
        flood["owed"] -= count
        note_due = elapsed_s >= flood["notes"] * flood["note_every_s"] + flood["note_every_s"]
        if note_due:  # the child plays, in the middle of it
            self.port.write_midi_event(0, flood["note"])
            flood["notes"] += 1
        for index in range(count):
            self.port.write_midi_event(index * frames // count, flood["message"])
        flood["sent"] += count

    def send(self, events: list[bytes]) -> None:
        done = threading.Event()
        self.batches.append((events, done))
        done.wait(5.0)

    def run_flood(self, rate: float, seconds: float, message: bytes, every_s: float, note: bytes):
        done = threading.Event()
        self.flood = {
            "rate": rate, "seconds": seconds, "message": message, "note_every_s": every_s,
            "note": note, "owed": 0.0, "sent": 0, "notes": 0, "done": done,
            "start_s": time.monotonic(),
        }  # fmt: skip
        done.wait(seconds + 5.0)
        flood, self.flood = self.flood, None
        return flood["sent"], flood["notes"]

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


def _main(name: str) -> None:
    source = _Source(name)
    print("ready", flush=True)
    for line in sys.stdin:
        word, *rest = line.split()
        if word == "send":
            source.send([b"" if token == "-" else bytes.fromhex(token) for token in rest])
            print(f"sent {source.xruns}", flush=True)
        elif word == "flood":
            rate, seconds, message, every_s, note = rest
            sent, notes = source.run_flood(
                float(rate), float(seconds), bytes.fromhex(message), float(every_s),
                bytes.fromhex(note),
            )  # fmt: skip
            print(f"flooded {sent} {notes}", flush=True)
    source.close()


class JackMidiSource:
    """Drives the source process from a test: ``with JackMidiSource("sl-fault-kbd") as kbd``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = f"{name}:out"
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> JackMidiSource:
        command = [sys.executable, "-m", "tests.jack_midi_source", self.name]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            self._expect("ready")
        except BaseException:
            self.__exit__()  # its pipes closed and the process ended, whatever went wrong
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None and process.stdout is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()

    def send(self, events: list[bytes]) -> int:
        """Send ``events`` (byte strings, any bytes) as JACK MIDI events in one cycle; the
        server's x-runs so far."""
        self._write("send " + " ".join(data.hex() or "-" for data in events))
        word, xruns = self._read().split()
        assert word == "sent", word
        return int(xruns)

    def flood(
        self, rate: float, seconds: float, message: bytes, note_every_s: float, note: bytes
    ) -> tuple[int, int]:
        """Flood ``message`` at ``rate``/s for ``seconds``, ``note`` every ``note_every_s``;
        (messages sent, notes sent)."""
        self._write(f"flood {rate} {seconds} {message.hex()} {note_every_s} {note.hex()}")
        word, sent, notes = self._read().split()
        assert word == "flooded", word
        return int(sent), int(notes)

    def _write(self, line: str) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()

    def _read(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            try:
                code = self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            raise RuntimeError(f"the JACK MIDI source {self.name} ended (exit status {code})")
        return line.strip()

    def _expect(self, word: str) -> None:
        line = self._read()
        assert line == word, line


if __name__ == "__main__":
    _main(sys.argv[1])
