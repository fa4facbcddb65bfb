"""RIFF layout of a SoundFont file: the INFO, sdta and pdta lists and their sub-chunks.

Works on any buffer that supports ``len`` and slicing (``bytes``, ``memoryview``, ``mmap``), so
the same code reads a whole file in memory or only the headers of a memory-mapped one. Every
size is checked against what remains, so a truncated or corrupt file raises
:class:`FileFormatError` naming the file and the chunk.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass, field

import numpy as np

from ...errors import FileFormatError

Buffer = bytes | memoryview | mmap.mmap


@dataclass(frozen=True)
class Chunk:
    """A chunk's id and where its data lies in the buffer."""

    chunk_id: str
    offset: int  # first byte of the chunk's data
    size: int  # bytes of data, without the pad byte


@dataclass(frozen=True)
class RiffLayout:
    """The sub-chunks of the three LIST chunks of a SoundFont, by id."""

    info: dict[str, Chunk] = field(default_factory=dict)
    sdta: dict[str, Chunk] = field(default_factory=dict)
    pdta: dict[str, Chunk] = field(default_factory=dict)


def _u32(buf: Buffer, offset: int) -> int:
    return int.from_bytes(bytes(buf[offset : offset + 4]), "little")


def _chunk_id(raw: bytes, file_name: str, offset: int) -> str:
    if len(raw) != 4 or not all(32 <= b < 127 for b in raw):
        raise FileFormatError(
            f"{file_name}: expected a chunk id (4 ASCII characters) at byte {offset}, got {raw!r}"
        )
    return raw.decode("ascii")


def read_chunks(buf: Buffer, start: int, end: int, file_name: str) -> list[Chunk]:
    """The chunks laid one after another in ``buf[start:end]`` (pad bytes skipped)."""
    chunks: list[Chunk] = []
    pos = start
    while pos + 8 <= end:
        chunk_id = _chunk_id(bytes(buf[pos : pos + 4]), file_name, pos)
        size = _u32(buf, pos + 4)
        remaining = end - pos - 8
        if size > remaining:
            raise FileFormatError(
                f"{file_name}: chunk '{chunk_id}' truncated: says {size} bytes, {remaining} remain"
            )
        chunks.append(Chunk(chunk_id, pos + 8, size))
        pos += 8 + size + (size & 1)
    return chunks


def read_layout(buf: Buffer, file_name: str) -> RiffLayout:
    """Check the RIFF 'sfbk' header and index the INFO, sdta and pdta lists."""
    if len(buf) < 12 or bytes(buf[0:4]) != b"RIFF":
        raise FileFormatError(f"{file_name}: not a RIFF file (expected 'RIFF' at byte 0)")
    form = bytes(buf[8:12])
    if form != b"sfbk":
        raise FileFormatError(
            f"{file_name}: RIFF form is {form!r}, expected 'sfbk' (not a SoundFont 2 file)"
        )
    riff_size = _u32(buf, 4)
    if riff_size > len(buf) - 8:
        raise FileFormatError(
            f"{file_name}: chunk 'RIFF' truncated: says {riff_size} bytes, {len(buf) - 8} remain"
        )
    lists: dict[str, dict[str, Chunk]] = {}
    for chunk in read_chunks(buf, 12, 8 + riff_size, file_name):
        if chunk.chunk_id != "LIST" or chunk.size < 4:
            continue  # unknown top-level chunks are allowed and skipped
        list_type = bytes(buf[chunk.offset : chunk.offset + 4]).decode("latin-1")
        subchunks = read_chunks(buf, chunk.offset + 4, chunk.offset + chunk.size, file_name)
        lists.setdefault(list_type, {c.chunk_id: c for c in subchunks})
    for required in ("INFO", "sdta", "pdta"):
        if required not in lists:
            raise FileFormatError(f"{file_name}: no '{required}' LIST chunk")
    return RiffLayout(info=lists["INFO"], sdta=lists["sdta"], pdta=lists["pdta"])


def decode_text(raw: bytes) -> str:
    """A zero-terminated SoundFont string (ASCII in the spec; UTF-8 or Latin-1 in the wild)."""
    raw = raw.split(b"\0", 1)[0]
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return raw.decode("latin-1").strip()


def info_text(buf: Buffer, layout: RiffLayout, chunk_id: str) -> str | None:
    """An INFO string such as 'INAM' (the bank's name), or None when absent."""
    chunk = layout.info.get(chunk_id)
    if chunk is None:
        return None
    return decode_text(bytes(buf[chunk.offset : chunk.offset + chunk.size]))


def info_version(buf: Buffer, layout: RiffLayout) -> tuple[int, int]:
    """The 'ifil' version (major, minor); (2, 1) when absent or malformed."""
    chunk = layout.info.get("ifil")
    if chunk is None or chunk.size < 4:
        return (2, 1)
    raw = bytes(buf[chunk.offset : chunk.offset + 4])
    return (int.from_bytes(raw[0:2], "little"), int.from_bytes(raw[2:4], "little"))


def records(
    buf: Buffer, layout: RiffLayout, chunk_id: str, dtype: np.dtype, file_name: str
) -> np.ndarray:
    """The fixed-size records of a pdta sub-chunk as a numpy structured array.

    Every hydra chunk ends with a terminal record, so at least one record must be present.
    """
    chunk = layout.pdta.get(chunk_id)
    if chunk is None:
        raise FileFormatError(f"{file_name}: pdta has no '{chunk_id}' chunk")
    if chunk.size % dtype.itemsize:
        raise FileFormatError(
            f"{file_name}: {chunk_id} size {chunk.size} is not a multiple of {dtype.itemsize}"
        )
    if chunk.size == 0:
        raise FileFormatError(f"{file_name}: {chunk_id} is empty (expected a terminal record)")
    raw = bytes(buf[chunk.offset : chunk.offset + chunk.size])
    return np.frombuffer(raw, dtype=dtype)
