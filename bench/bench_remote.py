"""Does the browser remote cost the engine's sound anything? And how fast does a page get answers?

One engine process on a private JACK server (dummy driver, ``--period`` frames): its
JACK-native MIDI input, the live thru path and its sound output through sounddevice. A probe
client plays a closed hi-hat into the engine ``--rate-hz`` times a second and hears the
engine's output: thru latency is the first audible frame after a note-on minus the frame the
note-on was written at, both JACK frames. Under-runs are the engine's own count (its snapshot)
plus the server's x-runs while the case played.

Cases, in one run, interleaved on the same engine (a shared machine's load drifts):
``no remote`` three times (their spread is the yardstick), and ``remote``: the remote's
process beside the engine serving 10 paired WebSocket clients in another process (each
reads every state the engine sends and asks for a snapshot every 2 s, as a page coming back
from a locked screen does) plus one page in headless Chromium, which meanwhile times command
round trips over its socket: ``set_volume_cap`` (-20 dBFS, no child chosen), carried out by
the engine, one every 0.1 s, p50 and p99 on the page's own clock from sending to the reply.

Targets: under-runs of the remote case within the spread of the three no-remote runs, thru
p99 up by at most 0.5 ms over the no-remote runs' median p99.

Run: ``python bench/bench_remote.py [--seconds 20] [--period 128]`` or
``soundness-live bench remote``. Needs jackd (Debian: jackd2), libportaudio2, chromium and
chromium-driver, and the remote and test extras.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_synth_jack import play_hats  # noqa: E402 - after the checkout is on the path

RATE = 48_000
PROBE_THRESHOLD, QUIET_FRAMES = 0.01, 1200
SOCKET_CLIENTS = 10
PAGE_NICENESS = 19  # the page stands for a tablet: its browser takes only what the laptop leaves
ROUND_TRIPS = 150
ROUND_TRIP_GAP_MS = 100  # a tap every 0.1 s: far more than a therapist's hands make


@dataclass(frozen=True)
class Case:
    """What one case measured."""

    name: str
    notes: int
    heard: int
    underruns: int  # the engine's own count while the case played
    xruns: int  # the JACK server's
    thru_ms: np.ndarray
    round_trip_ms: np.ndarray | None = None

    def row(self) -> str:
        """One table row."""
        p50, p99 = np.percentile(self.thru_ms, [50, 99]) if len(self.thru_ms) else (np.nan,) * 2
        text = f"  {self.name:<12}{self.notes:>6}{self.heard:>7}{self.underruns:>12}{self.xruns:>7}"
        return text + f"{p50:9.2f}{p99:9.2f}"


HEADER = (
    f"  {'case':<12}{'notes':>6}{'heard':>7}{'under-runs':>12}{'xruns':>7}"
    f"{'thru p50':>9}{'thru p99':>9}"
)


# -- the load: 10 WebSocket clients in a process of their own ---------------------------------
async def _socket_client(url: str, origin: str, token: str, stop_at_s: float) -> int:
    from websockets.asyncio.client import connect

    received = 0
    headers = {"Origin": origin, "Cookie": f"sl_remote={token}"}
    async with connect(url, additional_headers=headers) as socket:
        next_ask_s = time.monotonic()
        while time.monotonic() < stop_at_s:
            if time.monotonic() >= next_ask_s:
                await socket.send(json.dumps({"id": received, "command": "snapshot"}))
                next_ask_s += 2.0
            try:
                await asyncio.wait_for(socket.recv(), 0.25)
                received += 1
            except asyncio.TimeoutError:
                pass
    return received


def load_main(url: str, origin: str, tokens: list[str], seconds: float) -> None:
    """The load process: every token's socket for ``seconds``; prints the messages received."""
    stop_at_s = time.monotonic() + seconds

    async def run() -> list[int]:
        return list(
            await asyncio.gather(*(_socket_client(url, origin, t, stop_at_s) for t in tokens))
        )

    print(json.dumps(asyncio.run(run())), flush=True)


# -- the engine, the probe, the remote -----------------------------------------------------------
def _wait(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _probe() -> tuple[Any, list[int]]:
    from tests.jackserver import JackProbe

    probe = JackProbe("sl-probe", threshold=PROBE_THRESHOLD, quiet_frames=QUIET_FRAMES)
    xruns = [0]
    probe.client.set_xrun_callback(lambda delay_us: xruns.__setitem__(0, xruns[0] + 1))
    return probe.activate(), xruns


def _thru_ms(probe: Any, since: int) -> np.ndarray:
    with probe.lock:
        sent = [frame for frame, _, note in probe.sent[since:] if note == 42][::2]
        onsets = np.array(probe.onsets)
    found = []
    for frame in sent:
        later = onsets[(onsets >= frame) & (onsets < frame + RATE // 10)] if len(onsets) else []
        if len(later):
            found.append((later[0] - frame) * 1000 / RATE)
    return np.array(found, dtype=float)


def _page_round_trips(driver: Any, count: int) -> np.ndarray:
    """Command round trips (ms) timed by the page over its socket, one after another."""
    script = """
    const done = arguments[arguments.length - 1];
    (async () => {
      const times = [];
      for (let i = 0; i < arguments[0]; i++) {
        const start = performance.now();
        const reply = await socketCommand("set_volume_cap", {dbfs: -20});
        if (!reply.ok) { done({error: reply.error}); return; }
        times.push(performance.now() - start);
        await new Promise((wake) => setTimeout(wake, arguments[1]));
      }
      done({times});
    })();
    """
    driver.set_script_timeout(120)
    result = driver.execute_async_script(script, count, ROUND_TRIP_GAP_MS)
    if "error" in result:
        raise RuntimeError(f"the page's command failed: {result['error']}")
    return np.array(result["times"], dtype=float)


class Bench:
    """The engine on the server, its probe, and the remote when a case wants it."""

    def __init__(self, home: Path, period: int) -> None:
        from soundness_live.live.client import EngineClient, start_engine

        self.home = home
        self.engine = start_engine(
            home,
            ["--audio", "sounddevice", "--audio-device", "JACK", "--midi", "jack",
             "--block-size", str(period), "--thru", "immediate", "--snapshot-hz", "4"],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client = EngineClient.connect(home)
                break
            except Exception:
                if self.engine.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the engine did not start; see {home}/engine.log") from None
                time.sleep(0.2)
        self.probe, self.xruns = _probe()
        _wait(lambda: self._engine_port() is not None, 20, "the engine's sound output")
        from tests.jackserver import jack_connect

        jack_connect(str(self._engine_port()), "sl-probe:in")
        _wait(lambda: self._midi_connected(), 10, "the engine's MIDI input to hear the probe")

    def _engine_port(self) -> str | None:
        for port in self.probe.client.get_ports(is_audio=True, is_output=True):
            if port.name.startswith("PortAudio"):
                return str(port.name)
        return None

    def _midi_connected(self) -> bool:
        return bool(self.probe.client.get_all_connections("sl-probe:midi_out"))

    def play(self, name: str, seconds: float, rate_hz: float, period: int) -> Case:
        """Play the pattern once; what the engine did meanwhile."""
        time.sleep(0.5)
        before_underruns = int(self.client.request("snapshot")["state"]["underruns"])
        with self.probe.lock:
            since = len(self.probe.sent)
        self.xruns[0] = 0
        notes = play_hats(self.probe, seconds, rate_hz, period)
        xruns = self.xruns[0]
        underruns = int(self.client.request("snapshot")["state"]["underruns"]) - before_underruns
        thru = _thru_ms(self.probe, since)
        return Case(name, notes, len(thru), underruns, xruns, thru)

    def close(self) -> None:
        self.probe.close()
        try:
            self.client.request("shutdown")
        except Exception:
            pass
        self.client.close()
        try:
            self.engine.wait(15)
        except subprocess.TimeoutExpired:
            self.engine.kill()
            self.engine.wait()


def remote_case(bench: Bench, seconds: float, rate_hz: float, period: int) -> Case:
    """The remote beside the engine, 10 socket clients in another process and one page."""
    import httpx

    from soundness_live.remote.launch import start_remote, stop_remote
    from tests.remote.browser import chromium

    remote, status = start_remote(bench.home, "127.0.0.1:0")
    url, origin = status["url"], status["url"].rstrip("/")
    load = None
    try:
        tokens = []
        with httpx.Client(base_url=url, headers={"Origin": origin}) as web:
            for n in range(SOCKET_CLIENTS):
                web.cookies.clear()
                reply = web.post("api/pair", json={"code": status["pairing_code"], "name": f"b{n}"})
                reply.raise_for_status()
                tokens.append(str(reply.cookies.get("sl_remote")))
        load = subprocess.Popen(
            [sys.executable, __file__, "--load", url.replace("http", "ws") + "api/live", origin,
             str(seconds + 30), *tokens],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        with chromium("tablet", niceness=PAGE_NICENESS) as driver:
            driver.get(url)
            _wait(lambda: driver.find_element("id", "pairing").is_displayed(), 20, "the page")
            driver.find_element("id", "pair-code").send_keys(status["pairing_code"])
            driver.find_element("css selector", "#pair-form button").click()
            _wait(lambda: driver.find_element("id", "link").text == "connected (live)", 20, "live")
            time.sleep(1.0)  # the load's sockets are open
            round_trips: list[np.ndarray] = []
            import threading

            timing = threading.Thread(
                target=lambda: round_trips.append(_page_round_trips(driver, ROUND_TRIPS))
            )
            timing.start()
            case = bench.play("remote", seconds, rate_hz, period)
            timing.join(120)
        load.terminate()
        load.wait(10)
        return Case(**{**case.__dict__, "round_trip_ms": round_trips[0] if round_trips else None})
    finally:
        if load is not None and load.poll() is None:
            load.kill()
            load.wait()
        if load is not None and load.stdout is not None:
            load.stdout.close()
        stop_remote(remote)
        bench.client.request("remote_status", status=None)


def report(cases: list[Case]) -> str:
    """The table, the spread and the targets, and the page's round trips."""
    lines = [HEADER, *(case.row() for case in cases)]
    plain = [c for c in cases if c.name.startswith("no remote")]
    served = next(c for c in cases if c.name == "remote")
    low, high = min(c.underruns + c.xruns for c in plain), max(c.underruns + c.xruns for c in plain)
    ours = served.underruns + served.xruns
    base_p99 = float(np.median([np.percentile(c.thru_ms, 99) for c in plain]))
    p99 = float(np.percentile(served.thru_ms, 99))
    lines.append("")
    lines.append(
        f"  under-runs + x-runs: remote {ours}, no-remote spread {low}..{high}: "
        f"{'within' if ours <= high else 'ABOVE'} the spread"
    )
    lines.append(
        f"  thru p99: remote {p99:.2f} ms, no remote (median of 3) {base_p99:.2f} ms: "
        f"{p99 - base_p99:+.2f} ms ({'within' if p99 - base_p99 <= 0.5 else 'ABOVE'} +0.5 ms)"
    )
    if served.round_trip_ms is not None and len(served.round_trip_ms):
        rt50, rt99 = np.percentile(served.round_trip_ms, [50, 99])
        lines.append(
            f"  command round trip from a page ({len(served.round_trip_ms)} set_volume_cap over "
            f"its socket, 10 other sockets open): p50 {rt50:.2f} ms, p99 {rt99:.2f} ms, "
            f"max {served.round_trip_ms.max():.2f} ms"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Four cases interleaved (no remote, remote, no remote, no remote); prints the table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--load"]:
        load_main(argv[1], argv[2], argv[4:], float(argv[3]))
        return 0
    parser = argparse.ArgumentParser(prog="soundness-live bench remote", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="each case's playing time")
    parser.add_argument("--rate-hz", type=float, default=8.0, help="hi-hat notes a second")
    parser.add_argument("--period", type=int, default=128, help="JACK period (frames)")
    args = parser.parse_args(argv)
    for program in ("jackd", "chromium", "chromedriver"):
        if shutil.which(program) is None:
            print(f"error: {program} not found (see the docstring for the Debian packages)")
            return 2
    from tests.jackserver import jack_server

    home = Path(tempfile.mkdtemp(prefix="sl-bench-remote-"))
    os.chmod(home, 0o700)
    cases: list[Case] = []
    try:
        with jack_server(args.period, RATE):
            bench = Bench(home, args.period)
            try:
                order = ["no remote 1", "remote", "no remote 2", "no remote 3"]
                for name in order:
                    print(f"  playing: {name}", file=sys.stderr, flush=True)
                    if name == "remote":
                        cases.append(remote_case(bench, args.seconds, args.rate_hz, args.period))
                    else:
                        cases.append(bench.play(name, args.seconds, args.rate_hz, args.period))
            finally:
                bench.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"bench remote: period {args.period} frames at {RATE} Hz, {args.seconds:g} s a case, "
        f"{args.rate_hz:g} notes/s, load average {load[0]:.2f}"
    )
    print(report(cases))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
