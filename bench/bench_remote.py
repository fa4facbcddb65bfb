"""Does the browser remote cost the engine's sound anything? And how fast does a page get answers?

One engine process on a private JACK server (dummy driver, ``--period`` frames), as it runs on
JACK: one JACK client (``--audio jack --midi jack``) whose process callback reads the MIDI,
places each note at its own frame through the live thru path and renders the block. A probe
client plays a closed hi-hat into the engine ``--rate-hz`` times a second and hears the
engine's output: thru latency is the first audible frame after a note-on minus the frame the
note-on was written at, both JACK frames. Cycles lost are the larger of the engine's own
under-run count (its snapshot) and the server's x-runs while the case played: the engine, one
JACK client, counts each x-run of the server as an under-run of its own.

Cases, in one run, on the same engine, ``no remote`` and ``remote`` interleaved ``--rounds``
times (3: the no-remote runs' spread is the yardstick; a shared machine's load drifts):
``remote`` is the remote's process beside the engine (at nice +5, as ``--remote`` runs it)
serving 10 WebSocket clients of 7 paired devices (the 8 a remote pairs at most, less the
page's) in another process (each reads every state and asks for
a snapshot every 2 s, as a page coming back from a locked screen does) plus one page in
headless Chromium, driven from a process of its own, which times command round trips over
its socket: ``set_volume_cap`` (-20 dBFS, no child chosen), carried out by the engine, one
every 0.1 s, p50 and p99 on the page's own clock from sending to the reply. The 10 clients
and the page stand for tablets and phones, which do not run on the laptop: here they must,
so they run only on the cycles the laptop's own work leaves (Linux's idle scheduling class,
elsewhere nice 19), and outside the bench's own process, whose
JACK client (Python) hears the engine and would otherwise share its GIL with the page's
driver. The remote's own process runs on the laptop and counts. Each device's pairing is
revoked after its case, so every remote case starts with none.

Then, to tell the engine's own work from CPU contention on a small machine, once each:
``served elsewhere``: the same remote, clients and page, but the remote is the client of a
second, silent engine (no sound, no MIDI), so the machine carries all of it and the measured
engine none of its serving; ``idle``: the engine plays nothing (the probe sends no note), and
``idle + remote``: the same with the remote served by the measured engine: x-runs and
under-runs of the server with only those processes running.

Each row gives the 1-minute load average as the case ended and the CPU (% of one core) of
each process over the case: the engine, jackd, this bench (the probe), the remote, the 10
clients, the page (its driver and all of Chromium's processes). The engine runs through
``bench/engine_costs.py``, which counts what serving its clients costs it: per second,
snapshots built, messages encoded, commands carried out, and their CPU time, which for this
pure Python work is how long the engine's GIL was held by it (the audio callback waits for
the GIL), with a histogram of the longest pieces.

Targets: under-runs of the remote cases (their median) within the spread of the no-remote
runs; thru p99 up by at most 0.5 ms, judged on the p99 pooled over every note of the rounds
(some 480 notes a side at the defaults: steadier than a median of three 160-note p99s, each
resting on a run's two slowest notes); each run's p99 and their medians are printed too.

Run: ``python bench/bench_remote.py [--seconds 20] [--period 128] [--rounds 3]`` or
``soundness-live bench remote``. Needs jackd (Debian: jackd2), libportaudio2, chromium and
chromium-driver, and the remote and test extras.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_synth_jack import play_hats  # noqa: E402 - after the checkout is on the path
from soundness_live.audio.jack_output import CLIENT_NAME  # noqa: E402
from soundness_live.live.paired_devices import MAX_PAIRED_DEVICES  # noqa: E402

RATE = 48_000
PROBE_THRESHOLD, QUIET_FRAMES = 0.01, 1200
SOCKET_CLIENTS = 10
# the page and the 10 clients stand for tablets and phones: they take only what the laptop leaves
TABLET_NICENESS = 19  # where the idle class is not there


def stand_for_a_tablet() -> str:
    """Run this process, and what it starts, as a tablet's or phone's would if it were here:
    only on the cycles the laptop's own work leaves (Linux's idle scheduling class; elsewhere
    the lowest niceness). What it was given, in words."""
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle class"
        except OSError:
            pass
    if hasattr(os, "nice"):
        os.nice(TABLET_NICENESS)
    return f"nice {TABLET_NICENESS}"


ENGINE_PORT = f"{CLIENT_NAME}:out_1"  # the engine on JACK is one client of that name
PROCESSES = ("engine", "jackd", "bench", "remote", "clients", "page")
P99_RISE_MS = 0.5  # the remote may add this much to the pooled thru p99, no more
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
    load: float = 0.0  # the 1-minute load average as the case ended
    cpu: dict[str, float] | None = None  # % of one core over the case, by process
    costs: dict[str, Any] | None = None  # the engine's serving work over the case
    seconds: float = 0.0
    round_trip_ms: np.ndarray | None = None
    callback_us: float = float("nan")  # the engine's JACK process callback, mean over the case

    @property
    def lost(self) -> int:
        """Cycles lost: the engine, one JACK client, counts each x-run of the server as an
        under-run of its own, so the larger of the two counts, not their sum (which counted
        every lost cycle twice)."""
        return max(self.underruns, self.xruns)

    def p99(self) -> float:
        """Thru latency's 99th percentile (ms)."""
        return float(np.percentile(self.thru_ms, 99)) if len(self.thru_ms) else float("nan")

    def row(self) -> str:
        """One table row."""
        p50, p99 = np.percentile(self.thru_ms, [50, 99]) if len(self.thru_ms) else (np.nan,) * 2
        text = f"  {self.name:<17}{self.notes:>6}{self.heard:>6}{self.underruns:>7}{self.xruns:>7}"
        text += f"{p50:8.2f}{p99:8.2f}{self.callback_us:7.0f}{self.load:6.2f} "
        cpu = self.cpu or {}
        return text + "".join(
            f"{cpu[name]:>9.1f}" if name in cpu else f"{'-':>9}" for name in PROCESSES
        )


HEADER = (
    f"  {'case':<17}{'notes':>6}{'heard':>6}{'under':>7}{'xruns':>7}{'thru50':>8}{'thru99':>8}"
    f"{'cb us':>7}{'load':>6} " + "".join(f"{name:>9}" for name in PROCESSES)
)


def current_code(home: Path) -> str:
    """The pairing code the engine of ``home`` shows now (each code pairs one device)."""
    from soundness_live.live.client import EngineClient

    with EngineClient.connect(home) as laptop:
        return str(laptop.request("snapshot")["state"]["remote"]["served"]["pairing_code"])


# -- the load: 10 WebSocket clients in a process of their own ---------------------------------
async def _socket_client(url: str, origin: str, token: str, stop_at_s: float) -> int:
    from websockets.asyncio.client import connect

    received = 0
    headers = {"Origin": origin, "Cookie": token}  # the remote's own cookie name=token
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
    """The load process: every token's socket for ``seconds``, at the lowest priority (the
    clients stand for tablets and phones); prints the messages received."""
    stand_for_a_tablet()
    stop_at_s = time.monotonic() + seconds

    async def run() -> list[int]:
        return list(
            await asyncio.gather(*(_socket_client(url, origin, t, stop_at_s) for t in tokens))
        )

    print(json.dumps(asyncio.run(run())), flush=True)


# -- the page: headless Chromium driven from a process of its own -----------------------------
def page_main(url: str, code: str, count: int) -> None:
    """The page process, at the lowest priority with its Chromium (they stand for a tablet, and
    the bench's own process, which hears the engine through a JACK client, is left alone):
    pair, say ``ready``; at a line on stdin time ``count`` round trips and print them (JSON);
    keep the page open until stdin ends."""
    from tests.remote.browser import chromium

    stand_for_a_tablet()
    with chromium("tablet") as driver:  # its processes inherit the page's priority
        driver.get(url)
        _wait(lambda: driver.find_element("id", "pairing").is_displayed(), 20, "the page")
        driver.find_element("id", "pair-code").send_keys(code)
        driver.find_element("css selector", "#pair-form button").click()
        _wait(lambda: driver.find_element("id", "link").text == "connected (live)", 20, "live")
        print("ready", flush=True)
        sys.stdin.readline()
        times = _page_round_trips(driver, count) if count else np.array([])
        print(json.dumps([float(t) for t in times]), flush=True)
        sys.stdin.read()


def _line(process: subprocess.Popen, timeout_s: float, what: str) -> str:
    """The next line ``process`` prints, within ``timeout_s``."""
    import select

    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout_s)
    if not ready:
        raise TimeoutError(f"timed out waiting for {what}")
    line = str(process.stdout.readline())
    if not line:
        raise RuntimeError(f"{what}: the process ended first (exit {process.wait()})")
    return line.strip()


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


def _cpu_ticks(pid: int) -> int:
    """A process's user and system CPU so far, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


class CpuMeter:
    """CPU of named processes over a case, as % of one core: each with every process below
    it, except ``alone`` (the bench's own process, whose children are the other columns)."""

    def __init__(self, roots: dict[str, int], alone: tuple[str, ...] = ("bench",)) -> None:
        self.roots = roots
        self.alone = alone
        self.started_s = time.monotonic()
        self.ticks = {name: self._ticks(name, pid) for name, pid in roots.items()}

    def _ticks(self, name: str, pid: int) -> dict[int, int]:
        pids = [pid] if name in self.alone else _descendants(pid)
        return {each: _cpu_ticks(each) for each in pids}

    def percent(self) -> dict[str, float]:
        """Each tree's CPU since the meter started (processes started meanwhile included)."""
        elapsed_s = time.monotonic() - self.started_s
        hz = os.sysconf("SC_CLK_TCK")
        shares = {}
        for name, pid in self.roots.items():
            before, now = self.ticks[name], self._ticks(name, pid)
            used = sum(ticks - before.get(each, 0) for each, ticks in now.items())
            shares[name] = 100.0 * used / hz / elapsed_s
        return shares


def _callback_us(before: dict[str, Any], after: dict[str, Any]) -> float:
    """The engine's JACK process callback between two snapshots: its mean time (us)."""
    if not after.get("output_cycles"):
        return float("nan")
    cycles = after["output_cycles"] - before["output_cycles"]
    spent_s = after["output_callback_s"] - before["output_callback_s"]
    return 1e6 * spent_s / cycles if cycles else float("nan")


def _read_costs(path: Path) -> dict[str, Any]:
    for _ in range(20):  # replaced whole every 0.25 s: a read never sees half of it
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            time.sleep(0.05)
    return {}


def _cost_difference(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The engine's serving work between two readings of its costs file."""
    if not before or not after:
        return {}
    kinds = {}
    for kind, row in after["kinds"].items():
        old = before["kinds"].get(kind, [0, 0, 0, 0])
        kinds[kind] = [new - was for new, was in zip(row, old, strict=True)]
    return {
        "kinds": {kind: row for kind, row in kinds.items() if row[0]},
        "held": [new - was for new, was in zip(after["held"], before["held"], strict=True)],
        "histogram": [
            new - was for new, was in zip(after["histogram"], before["histogram"], strict=True)
        ],
        "edges_ms": after["edges_ms"],
    }


class Bench:
    """The engine on the server, its probe, and the remote when a case wants it."""

    def __init__(self, home: Path, period: int, jackd_pid: int) -> None:
        from soundness_live.live.client import EngineClient, open_private_log

        self.home = home
        self.costs_path = home / "engine-costs.json"
        engine_args = [
            "--data-dir", str(home), "--audio", "jack", "--midi", "jack",
            "--block-size", str(period), "--thru", "immediate",
            "--snapshot-hz", "4",
        ]  # fmt: skip
        log = open_private_log(home / "engine.log")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT),
               os.environ.get("PYTHONPATH"))))}  # fmt: skip
        try:
            self.engine = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "engine_costs.py"), str(self.costs_path),
                 *engine_args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,
            )  # fmt: skip
        finally:
            log.close()
        self.jackd_pid = jackd_pid
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
        """The engine's left output port, once its JACK client has it."""
        ports = self.probe.client.get_ports(ENGINE_PORT, is_audio=True, is_output=True)
        return str(ports[0].name) if ports else None

    def _midi_connected(self) -> bool:
        return bool(self.probe.client.get_all_connections("sl-probe:midi_out"))

    def play(
        self,
        name: str,
        seconds: float,
        rate_hz: float,
        period: int,
        others: dict[str, int] | None = None,
    ) -> Case:
        """Play the pattern once (``rate_hz`` 0: play nothing for ``seconds``); what the engine
        did meanwhile, and the CPU of every process (``others``: those of the remote case)."""
        time.sleep(0.5)
        before = self.client.request("snapshot")["state"]
        since = len(self.probe.sent)
        roots = {"engine": self.engine.pid, "jackd": self.jackd_pid, "bench": os.getpid()}
        meter = CpuMeter({**roots, **(others or {})})
        costs_before = _read_costs(self.costs_path)
        started_s = time.monotonic()
        self.xruns[0] = 0
        if rate_hz > 0:
            notes = play_hats(self.probe, seconds, rate_hz, period)
        else:
            notes = 0
            time.sleep(seconds)
        xruns = self.xruns[0]
        played_s = time.monotonic() - started_s
        cpu = meter.percent()
        time.sleep(2 * 0.25)  # the costs file is written every 0.25 s
        costs = _cost_difference(costs_before, _read_costs(self.costs_path))
        after = self.client.request("snapshot")["state"]
        underruns = int(after["underruns"]) - int(before["underruns"])
        thru = _thru_ms(self.probe, since)
        return Case(
            name, notes, len(thru), underruns, xruns, thru, load=os.getloadavg()[0], cpu=cpu,
            costs=costs, seconds=played_s, callback_us=_callback_us(before, after),
        )  # fmt: skip

    def revoke_all(self) -> None:
        """Forget every paired device (the next remote case starts with none)."""
        devices = self.client.request("snapshot")["state"]["remote"]["devices"]
        for device in devices:
            self.client.request("revoke_device", device=device["device_id"])

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


@contextlib.contextmanager
def silent_engine(home: Path) -> Iterator[Path]:
    """A second engine, no sound and no MIDI, on a data directory of its own under ``home``."""
    from soundness_live.live.client import EngineClient, start_engine

    other = home / "elsewhere"
    other.mkdir(mode=0o700)
    process = start_engine(other, ["--audio", "null", "--synth", "none", "--midi", "none"])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                EngineClient.connect(other).close()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the second engine did not start; see {other}") from None
                time.sleep(0.2)
        yield other
    finally:
        try:
            with EngineClient.connect(other) as client:
                client.request("shutdown")
            process.wait(15)
        except Exception:
            process.kill()
            process.wait()


def remote_case(
    bench: Bench,
    name: str,
    seconds: float,
    rate_hz: float,
    period: int,
    served: Path | None = None,
) -> Case:
    """The remote beside the engine of ``served`` (the measured one when None), 10 socket
    clients in another process and one page in another, while the measured engine plays."""
    import httpx

    from soundness_live.remote.launch import start_remote, stop_remote

    home = served or bench.home
    remote, status = start_remote(home, "127.0.0.1:0")
    url, origin = status["url"], status["url"].rstrip("/")
    helpers: list[subprocess.Popen] = []
    try:
        cookies = []  # the load's devices: as many as may pair, less the page's
        with httpx.Client(base_url=url, headers={"Origin": origin}) as web:
            for n in range(min(SOCKET_CLIENTS, MAX_PAIRED_DEVICES - 1)):
                web.cookies.clear()
                reply = web.post("api/pair", json={"code": current_code(home), "name": f"b{n}"})
                reply.raise_for_status()
                cookies.append("; ".join(f"{k}={v}" for k, v in reply.cookies.items()))
        tokens = [cookies[n % len(cookies)] for n in range(SOCKET_CLIENTS)]  # 2 sockets at most
        load = subprocess.Popen(
            [sys.executable, __file__, "--load", url.replace("http", "ws") + "api/live", origin,
             str(seconds + 60), *tokens],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        helpers.append(load)
        count = ROUND_TRIPS if rate_hz > 0 else 0
        page = subprocess.Popen(
            [sys.executable, __file__, "--page", url, current_code(home), str(count)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        helpers.append(page)
        assert page.stdin is not None
        if _line(page, 90, "the page to pair") != "ready":
            raise RuntimeError("the page did not pair")
        time.sleep(1.0)  # the load's sockets are open
        page.stdin.write("go\n")
        page.stdin.flush()
        others = {"remote": remote.pid, "clients": load.pid, "page": page.pid}
        case = bench.play(name, seconds, rate_hz, period, others)
        round_trips = np.array(json.loads(_line(page, 120, "the page's round trips")))
        return Case(**{**case.__dict__, "round_trip_ms": round_trips if count else None})
    finally:
        for helper in helpers:
            if helper.stdin is not None:
                helper.stdin.close()
            if helper is not helpers[0]:
                try:
                    helper.wait(20)  # the page quits its Chromium
                except subprocess.TimeoutExpired:
                    pass
            if helper.poll() is None:
                helper.terminate()
                try:
                    helper.wait(10)
                except subprocess.TimeoutExpired:
                    helper.kill()
                    helper.wait()
            if helper.stdout is not None:
                helper.stdout.close()
        stop_remote(remote)
        if served is None:
            bench.client.request("remote_status", status=None)
            bench.revoke_all()


def costs_lines(cases: list[Case]) -> list[str]:
    """What serving its clients cost the engine in each case: per second, and its GIL."""
    lines = [
        "  the engine's serving work per second (CPU = time the engine's GIL was held by it):",
        f"  {'case':<17}{'snapshots':>10}{'encoded':>9}{'KB':>7}{'commands':>9}"
        f"{'held ms/s':>10}{'mean us':>8}  pieces by CPU length (ms): count",
    ]
    for case in cases:
        costs = case.costs
        if not costs:
            lines.append(f"  {case.name:<17}  (no costs read)")
            continue
        per_s = 1.0 / max(case.seconds, 1e-9)
        kinds = costs["kinds"]
        snaps = kinds.get("snapshot", [0, 0, 0, 0])
        encodes = [row for kind, row in kinds.items() if kind.startswith("encode")]
        encoded = [sum(row[i] for row in encodes) for i in (0, 3)]
        commands = sum(row[0] for k, row in kinds.items() if k.startswith("command"))
        held_n, held_cpu, _ = costs["held"]
        edges = costs["edges_ms"]
        spans = [f"<={edge:g}" for edge in edges] + [f">{edges[-1]:g}"]
        histogram = " ".join(
            f"{span}:{count}" for span, count in zip(spans, costs["histogram"], strict=True)
            if count
        )  # fmt: skip
        mean_us = held_cpu / held_n / 1e3 if held_n else 0.0
        lines.append(
            f"  {case.name:<17}{snaps[0] * per_s:>10.1f}{encoded[0] * per_s:>9.1f}"
            f"{encoded[1] * per_s / 1024:>7.1f}{commands * per_s:>9.1f}"
            f"{held_cpu * per_s / 1e6:>10.2f}{mean_us:>8.0f}  {histogram}"
        )
    lines.append("  each kind in the remote cases (count per second, mean CPU us of one):")
    for case in cases:
        if case.costs and case.name.startswith("remote"):
            per_s = 1.0 / max(case.seconds, 1e-9)
            parts = [
                f"{kind} {row[0] * per_s:.1f}/s {row[1] / row[0] / 1e3:.0f} us"
                for kind, row in sorted(case.costs["kinds"].items(), key=lambda kv: -kv[1][1])
            ]
            lines.append(f"    {case.name}: " + "; ".join(parts))
    return lines


def pooled_p99(cases: list[Case]) -> float:
    """Thru latency's 99th percentile over every note the ``cases`` heard (ms): one p99 of
    some 480 notes moves less from run to run than a median of three 160-note p99s, each of
    which rests on its two slowest notes."""
    heard = [c.thru_ms for c in cases if len(c.thru_ms)]
    return float(np.percentile(np.concatenate(heard), 99)) if heard else float("nan")


def report(cases: list[Case]) -> str:
    """The table, the spread and the targets, the engine's serving work, the round trips."""
    lines = [
        "  cb us: the engine's JACK process callback, mean time; CPU columns: % of one core "
        "over the case; bench: the probe's process; page: its driver and Chromium; clients "
        "and page in the idle scheduling class (nice 19 where there is none), the remote at "
        "nice +5",
        HEADER,
        *(case.row() for case in cases),
    ]
    plain = [c for c in cases if c.name.startswith("no remote")]
    served = [c for c in cases if c.name.startswith("remote")]
    lines.append("")
    if plain and served:
        low, high = min(c.lost for c in plain), max(c.lost for c in plain)
        ours = float(np.median([c.lost for c in served]))
        inside = sum(c.lost <= high for c in served)
        lines.append(
            f"  cycles lost (under-runs, x-runs): remote {ours:g} (median of {len(served)}: "
            f"{', '.join(str(c.lost) for c in served)}), no-remote spread {low}..{high}: "
            f"{'within' if ours <= high else 'ABOVE'} the spread ({inside} of {len(served)} "
            "remote runs within it)"
        )
        base_p99 = float(np.median([c.p99() for c in plain]))
        p99 = float(np.median([c.p99() for c in served]))
        each = ", ".join(f"{c.p99():.2f}" for c in served)
        lines.append(
            f"  thru p99 per run: remote {p99:.2f} ms (median of {len(served)}: {each}), "
            f"no remote {base_p99:.2f} ms (median of {len(plain)}: "
            f"{', '.join(f'{c.p99():.2f}' for c in plain)}): {p99 - base_p99:+.2f} ms"
        )
        pooled, base_pooled = pooled_p99(served), pooled_p99(plain)
        lines.append(
            f"  thru p99 pooled (the verdict): remote {pooled:.2f} ms over "
            f"{sum(c.heard for c in served)} notes, no remote {base_pooled:.2f} ms over "
            f"{sum(c.heard for c in plain)} notes: {pooled - base_pooled:+.2f} ms "
            f"({'within' if pooled - base_pooled <= P99_RISE_MS else 'ABOVE'} "
            f"+{P99_RISE_MS:g} ms)"
        )
    times = [c.round_trip_ms for c in served if c.round_trip_ms is not None]
    if times and sum(len(t) for t in times):
        every = np.concatenate(times)
        rt50, rt99 = np.percentile(every, [50, 99])
        lines.append(
            f"  command round trip from a page ({len(every)} set_volume_cap over its socket, "
            f"10 other sockets open): p50 {rt50:.2f} ms, p99 {rt99:.2f} ms, "
            f"max {every.max():.2f} ms"
        )
    lines.append("")
    lines.extend(costs_lines(cases))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """No remote and remote interleaved ``--rounds`` times, then the contention cases; prints
    the table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--load"]:
        load_main(argv[1], argv[2], argv[4:], float(argv[3]))
        return 0
    if argv[:1] == ["--page"]:
        page_main(argv[1], argv[2], int(argv[3]))
        return 0
    parser = argparse.ArgumentParser(prog="soundness-live bench remote", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="each case's playing time")
    parser.add_argument("--rate-hz", type=float, default=8.0, help="hi-hat notes a second")
    parser.add_argument("--period", type=int, default=128, help="JACK period (frames)")
    parser.add_argument("--rounds", type=int, default=3, help="no remote / remote pairs (>= 1)")
    parser.add_argument(
        "--no-contention", action="store_true", help="leave out served elsewhere and idle cases"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    for program in ("jackd", "chromium", "chromedriver"):
        if shutil.which(program) is None:
            print(f"error: {program} not found (see the docstring for the Debian packages)")
            return 2
    from tests.jackserver import jack_server

    home = Path(tempfile.mkdtemp(prefix="sl-bench-remote-"))
    os.chmod(home, 0o700)
    cases: list[Case] = []
    seconds, rate, period = args.seconds, args.rate_hz, args.period
    try:
        with jack_server(period, RATE) as server:
            bench = Bench(home, period, server.process.pid)
            try:
                for n in range(1, args.rounds + 1):
                    for name in (f"no remote {n}", f"remote {n}"):
                        print(f"  playing: {name}", file=sys.stderr, flush=True)
                        if name.startswith("remote"):
                            cases.append(remote_case(bench, name, seconds, rate, period))
                        else:
                            cases.append(bench.play(name, seconds, rate, period))
                if not args.no_contention:
                    print("  playing: served elsewhere", file=sys.stderr, flush=True)
                    with silent_engine(home) as other:
                        cases.append(
                            remote_case(bench, "served elsewhere", seconds, rate, period, other)
                        )
                    print("  idle, idle + remote", file=sys.stderr, flush=True)
                    cases.append(bench.play("idle", seconds, 0, period))
                    cases.append(remote_case(bench, "idle + remote", seconds, 0, period))
            finally:
                bench.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"bench remote: period {period} frames at {RATE} Hz, {seconds:g} s a case, "
        f"{rate:g} notes/s, load average {load[0]:.2f} at the end, {os.cpu_count()} CPUs"
    )
    print(report(cases))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
