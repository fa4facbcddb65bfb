"""File-level behaviour: corrupt files, sm24, sf3, ROM samples, and FluidSynth reading our files."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from soundness_live.errors import FileFormatError, ParameterError
from soundness_live.synth.sf2.hydra import SHDR
from soundness_live.synth.sf2.read import load_soundfont, parse_soundfont, read_soundfont_header
from soundness_live.synth.sf2.riff import read_layout
from soundness_live.synth.sf2.write import (
    GUARD_POINTS,
    InstrumentSpec,
    PresetSpec,
    SampleSpec,
    ZoneSpec,
    sf2_bytes,
    write_sf2,
)
from tests.conftest import require

RATE = 22050
TONE = 0.5 * np.sin(2 * np.pi * 440 * np.arange(4000) / RATE)
SAMPLES = [
    SampleSpec("a", TONE, RATE, root_key=69, loop=(1000, 3000)),
    SampleSpec("b", TONE[:3000] * 0.5, RATE, root_key=57),
]
INSTRUMENTS = [
    InstrumentSpec(
        "I",
        (ZoneSpec("a", {"sampleModes": 1}, key_range=(0, 63)), ZoneSpec("b", key_range=(64, 127))),
    ),  # fmt: skip
]
PRESETS = [PresetSpec("P", 0, 0, (ZoneSpec("I"),)), PresetSpec("Kit", 128, 0, (ZoneSpec("I"),))]
GOOD = sf2_bytes("Test", SAMPLES, INSTRUMENTS, PRESETS)

Chunks = dict[str, list[tuple[str, bytes]]]


def split(data: bytes) -> Chunks:
    """The sub-chunks of INFO, sdta and pdta, in file order."""
    layout = read_layout(data, "x")
    return {
        name: [(c.chunk_id, data[c.offset : c.offset + c.size]) for c in part.values()]
        for name, part in (("INFO", layout.info), ("sdta", layout.sdta), ("pdta", layout.pdta))
    }


def join(lists: Chunks) -> bytes:
    """Reassemble a SoundFont from its sub-chunks."""

    def chunk(cid: bytes, body: bytes) -> bytes:
        return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")

    body = b"sfbk" + b"".join(
        chunk(b"LIST", name.encode() + b"".join(chunk(cid.encode(), b) for cid, b in subs))
        for name, subs in lists.items()
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def replace(lists: Chunks, list_name: str, chunk_id: str, body: bytes) -> Chunks:
    subs = [(cid, body if cid == chunk_id else b) for cid, b in lists[list_name]]
    if chunk_id not in [cid for cid, _ in subs]:
        subs.append((chunk_id, body))
    return {**lists, list_name: subs}


def body_of(lists: Chunks, list_name: str, chunk_id: str) -> bytes:
    return dict(lists[list_name])[chunk_id]


def shdr_with(**changes) -> bytes:
    records = np.frombuffer(body_of(split(GOOD), "pdta", "shdr"), SHDR).copy()
    for field, values in changes.items():
        records[field][: len(values)] = values
    return join(replace(split(GOOD), "pdta", "shdr", records.tobytes()))


def error_of(data: bytes) -> str:
    with pytest.raises(FileFormatError) as info:
        parse_soundfont(data, "bad.sf2")
    assert "bad.sf2" in str(info.value)
    return str(info.value)


def test_good_file_round_trips():
    sf = parse_soundfont(join(split(GOOD)), "good.sf2")
    assert set(sf.presets) == {(0, 0), (128, 0)}
    assert len(sf.presets[(0, 0)].regions) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", "not a RIFF file"),
        (b"RIFF\x04\x00\x00\x00WAVE", "expected 'sfbk'"),
        (GOOD[:-500], "chunk 'RIFF' truncated"),
        (b"RIFF" + struct.pack("<I", 4) + b"sfbk", "no 'INFO' LIST chunk"),
    ],
)
def test_corrupt_headers_are_named(data, message):
    assert message in error_of(data)


def test_truncated_chunk_says_what_it_expected():
    lists = split(GOOD)
    data = join(lists)
    pdta_at = data.index(b"pdta") - 8
    size = struct.unpack_from("<I", data, pdta_at + 4)[0]
    bad = data[: pdta_at + 4] + struct.pack("<I", size + 4000) + data[pdta_at + 8 :]
    bad = bad[:4] + struct.pack("<I", len(bad) - 8) + bad[8:]
    assert f"chunk 'LIST' truncated: says {size + 4000} bytes, {size} remain" in error_of(bad)


def test_record_size_must_fit_the_record():
    lists = split(GOOD)
    phdr = body_of(lists, "pdta", "phdr")
    message = error_of(join(replace(lists, "pdta", "phdr", phdr + b"\0")))
    assert f"phdr size {len(phdr) + 1} is not a multiple of 38" in message


def test_sample_end_beyond_the_data():
    message = error_of(shdr_with(end=[999999]))
    count = 4000 + 3000 + 2 * GUARD_POINTS
    assert f"sample 'a' end 999999 beyond sample data ({count} samples)" in message


def test_missing_pdta_chunk_and_bad_instrument_index():
    lists = split(GOOD)
    without = {**lists, "pdta": [c for c in lists["pdta"] if c[0] != "igen"]}
    assert "pdta has no 'igen' chunk" in error_of(join(without))
    pgen = bytearray(body_of(lists, "pdta", "pgen"))
    struct.pack_into("<HH", pgen, 0, 41, 7)  # the first preset zone: instrument 7
    assert "refers to instrument 7" in error_of(join(replace(lists, "pdta", "pgen", bytes(pgen))))


def test_every_truncation_is_a_file_format_error():
    for cut in range(0, len(GOOD), max(1, len(GOOD) // 97)):
        with pytest.raises(FileFormatError):
            parse_soundfont(GOOD[:cut], "cut.sf2")


def test_bit_flips_never_leak_other_errors():
    rng = np.random.default_rng(7)
    pdta_at = GOOD.index(b"pdta")
    for _ in range(300):
        data = bytearray(GOOD)
        # flip bits in the headers and the hydra, where corruption changes the structure
        position = int(rng.choice([rng.integers(0, 80), rng.integers(pdta_at, len(data))]))
        data[position] ^= 1 << int(rng.integers(0, 8))
        try:
            sf = parse_soundfont(bytes(data), "flip.sf2")
        except FileFormatError:
            continue
        for preset in sf.presets.values():
            for r in preset.regions:
                assert 0 <= r.sample_start < r.sample_end <= len(sf.sample_data)
                assert r.sample_start <= r.loop_start <= r.loop_end <= r.sample_end


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        load_soundfont(tmp_path / "none.sf2")
    empty = tmp_path / "empty.sf2"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty.sf2: not a RIFF file"):
        load_soundfont(empty)
    with pytest.raises(FileFormatError, match="not a RIFF file"):
        read_soundfont_header(empty)


def test_header_scan_reads_names_and_presets(tmp_path):
    path = write_sf2(tmp_path / "t.sf2", "Test", SAMPLES, INSTRUMENTS, PRESETS)
    header = read_soundfont_header(path)
    assert header.name == "Test"
    assert header.presets == ((0, 0, "P"), (128, 0, "Kit"))
    assert load_soundfont(path).path == str(path)


def test_rom_samples_are_skipped():
    sf = parse_soundfont(shdr_with(type=[0x8001]), "rom.sf2")
    (region,) = sf.presets[(0, 0)].regions
    assert region.root_key == 57  # only sample 'b' is left


def test_sm24_adds_the_low_byte_in_version_2_04_only():
    lists = split(GOOD)
    count = len(body_of(lists, "sdta", "smpl")) // 2
    with_sm24 = replace(lists, "sdta", "sm24", b"\x80" * (count + (count & 1)))
    wide = parse_soundfont(join(with_sm24), "24.sf2").sample_data
    plain = parse_soundfont(GOOD, "16.sf2").sample_data
    np.testing.assert_allclose(wide - plain, 128 / 2**23, rtol=1e-3)
    old = replace(with_sm24, "INFO", "ifil", struct.pack("<HH", 2, 1))
    np.testing.assert_array_equal(parse_soundfont(join(old), "old.sf2").sample_data, plain)


def test_sf3_ogg_samples_are_decoded_and_placed():
    soundfile = pytest.importorskip("soundfile")
    lists = split(GOOD)
    blobs = []
    for sample in SAMPLES:
        out = io.BytesIO()
        soundfile.write(out, sample.data, RATE, format="OGG", subtype="VORBIS")
        blobs.append(out.getvalue())
    starts = [0, len(blobs[0])]
    records = np.frombuffer(body_of(lists, "pdta", "shdr"), SHDR).copy()
    records["start"][:2] = starts
    records["end"][:2] = [starts[0] + len(blobs[0]), starts[1] + len(blobs[1])]
    records["loop_start"][:2], records["loop_end"][:2] = [1000, 0], [3000, 3000]
    records["type"][:2] = 0x11
    lists = replace(lists, "sdta", "smpl", b"".join(blobs))
    sf = parse_soundfont(join(replace(lists, "pdta", "shdr", records.tobytes())), "x.sf3")
    low, high = sf.presets[(0, 0)].regions
    assert (low.sample_start, low.loop_start, low.loop_end) == (0, 1000, 3000)
    assert high.sample_start == low.sample_end + GUARD_POINTS
    decoded = sf.sample_data[low.sample_start : low.sample_end]
    assert len(decoded) == 4000
    assert np.corrcoef(decoded, TONE)[0, 1] > 0.99


def test_fluidsynth_loads_what_we_write(tmp_path):
    try:
        import fluidsynth
    except ImportError:
        fluidsynth = None
    require(
        fluidsynth is not None, "pyfluidsynth with libfluidsynth (apt-get install libfluidsynth3)"
    )
    path = write_sf2(tmp_path / "t.sf2", "Test", SAMPLES, INSTRUMENTS, PRESETS)
    synth = fluidsynth.Synth()
    try:
        assert synth.sfload(str(path)) >= 0
    finally:
        synth.delete()
