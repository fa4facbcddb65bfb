"""Sample data of a SoundFont as one float32 array, with sample headers in absolute indices.

SoundFont 2: the 16-bit 'smpl' chunk (plus the optional 24-bit 'sm24' low bytes, 2.04) is
converted whole with numpy (no Python loop over samples). SoundFont 3: Ogg Vorbis compressed
samples are decoded one by one with ``soundfile`` and laid end to end; their headers (byte
offsets, loop points relative to the sample) are rewritten as absolute sample indices.
"""

from __future__ import annotations

import dataclasses
import io

import numpy as np

from ...errors import FileFormatError
from .hydra import COMPRESSED_SAMPLE, ROM_SAMPLE, SampleHeader
from .riff import Buffer, RiffLayout

GUARD_POINTS = 46  # zero points the spec puts after every sample; kept between sf3 samples


def is_rom(header: SampleHeader) -> bool:
    """True for samples that live in a sound ROM (not in the file): they are skipped."""
    return bool(header.sample_type & ROM_SAMPLE)


def read_sample_data(
    buf: Buffer,
    layout: RiffLayout,
    headers: tuple[SampleHeader, ...],
    version: tuple[int, int],
    file_name: str,
) -> tuple[np.ndarray, tuple[SampleHeader, ...]]:
    """All sample data as float32 in -1..1, and the headers as absolute indices into it."""
    if any(h.sample_type & COMPRESSED_SAMPLE and not is_rom(h) for h in headers):
        return _decode_sf3(buf, layout, headers, file_name)
    data = _pcm(buf, layout, version, file_name)
    for header in headers:
        if not is_rom(header):
            _check_bounds(header, len(data), file_name)
    return data, headers


def _smpl_chunk(layout: RiffLayout, file_name: str) -> tuple[int, int]:
    chunk = layout.sdta.get("smpl")
    if chunk is None:
        raise FileFormatError(f"{file_name}: sdta has no 'smpl' chunk (sample data)")
    return chunk.offset, chunk.size


def _pcm(buf: Buffer, layout: RiffLayout, version: tuple[int, int], file_name: str) -> np.ndarray:
    offset, size = _smpl_chunk(layout, file_name)
    count = size // 2
    words = np.frombuffer(buf[offset : offset + 2 * count], dtype="<i2")
    sm24 = layout.sdta.get("sm24")
    # The spec says to ignore sm24 unless the file is 2.04+ and the chunk has the right size.
    if sm24 is not None and version >= (2, 4) and sm24.size in (count, count + (count & 1)):
        low = np.frombuffer(buf[sm24.offset : sm24.offset + count], dtype=np.uint8)
        wide = (words.astype(np.int32) << 8) | low.astype(np.int32)
        out = wide.astype(np.float32)
        out *= np.float32(1.0 / 8388608.0)
        return out
    out = words.astype(np.float32)
    out *= np.float32(1.0 / 32768.0)  # in place: FluidR3's 74 M points need no second copy
    return out


def _check_bounds(header: SampleHeader, count: int, file_name: str) -> None:
    if header.end > count:
        raise FileFormatError(
            f"{file_name}: sample '{header.name}' end {header.end} beyond sample data "
            f"({count} samples)"
        )
    if header.start > header.end:
        raise FileFormatError(
            f"{file_name}: sample '{header.name}' start {header.start} is after its end "
            f"{header.end}"
        )


def _decode_sf3(
    buf: Buffer, layout: RiffLayout, headers: tuple[SampleHeader, ...], file_name: str
) -> tuple[np.ndarray, tuple[SampleHeader, ...]]:
    """Decode every compressed sample; positions become indices into the decoded array."""
    offset, size = _smpl_chunk(layout, file_name)
    pieces: list[np.ndarray] = []
    placed: list[SampleHeader] = []
    position = 0
    for header in headers:
        if is_rom(header) or not header.sample_type & COMPRESSED_SAMPLE:
            # Mixing PCM and compressed samples is not defined by sf3; treat as empty.
            placed.append(dataclasses.replace(header, start=0, end=0, loop_start=0, loop_end=0))
            continue
        if not 0 <= header.start <= header.end <= size:
            raise FileFormatError(
                f"{file_name}: compressed sample '{header.name}' bytes {header.start}.."
                f"{header.end} beyond the smpl chunk ({size} bytes)"
            )
        pcm = _decode_ogg(
            bytes(buf[offset + header.start : offset + header.end]), header, file_name
        )
        pieces += [pcm, np.zeros(GUARD_POINTS, np.float32)]
        placed.append(
            dataclasses.replace(
                header,
                start=position,
                end=position + len(pcm),
                loop_start=position + header.loop_start,
                loop_end=position + header.loop_end,
            )
        )
        position += len(pcm) + GUARD_POINTS
    data = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return data, tuple(placed)


def _decode_ogg(raw: bytes, header: SampleHeader, file_name: str) -> np.ndarray:
    try:
        import soundfile
    except ImportError as exc:  # pragma: no cover - soundfile is a test dependency here
        raise FileFormatError(
            f"{file_name}: SoundFont 3 (Ogg-compressed samples) is not supported without the "
            "'soundfile' package; convert the bank to .sf2 or install soundfile"
        ) from exc
    try:
        pcm, _rate = soundfile.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise FileFormatError(
            f"{file_name}: compressed sample '{header.name}' could not be decoded as Ogg "
            f"Vorbis ({exc})"
        ) from exc
    return np.ascontiguousarray(pcm[:, 0])
