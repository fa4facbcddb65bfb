"""SoundFont discovery: the bundled bank, search folders, name resolution and the table."""

from __future__ import annotations

import numpy as np
import pytest

from soundness_live.errors import ParameterError
from soundness_live.synth.bank import assemble, syllables
from soundness_live.synth.sf2 import find as soundfonts
from soundness_live.synth.sf2.read import load_soundfont
from soundness_live.synth.sf2.write import (
    InstrumentSpec,
    PresetSpec,
    SampleSpec,
    ZoneSpec,
    write_sf2,
)

SAMPLE = SampleSpec("s", np.sin(np.arange(500) / 5.0) * 0.5, 22050, root_key=60)
INSTRUMENT = InstrumentSpec("I", (ZoneSpec("s"),))


def small_bank(path, name: str, programs, kit: bool = False):
    presets = [PresetSpec(f"P{p}", 0, p, (ZoneSpec("I"),)) for p in programs]
    if kit:
        presets.append(PresetSpec("Kit", 128, 0, (ZoneSpec("I"),)))
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_sf2(path, name, [SAMPLE], [INSTRUMENT], presets)


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No system folders, an empty home, and $SOUNDNESS_LIVE_SOUNDFONTS -> tmp/fonts."""
    monkeypatch.setattr(soundfonts, "SYSTEM_DIRS", ())
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home/data"))
    monkeypatch.delenv("APPDATA", raising=False)
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    monkeypatch.setenv(soundfonts.ENV_VAR, str(fonts))
    return fonts


def test_default_is_the_committed_bank():
    path = soundfonts.default_soundfont_path()
    assert path.name == "soundness-gm.sf2" and path.is_file()
    assert load_soundfont(path).name == "Soundness GM"


def test_default_is_built_into_the_cache_when_no_copy_ships(tmp_path, monkeypatch):
    cached = tmp_path / "cache" / "soundness-gm-test.sf2"
    monkeypatch.setattr(soundfonts, "bundled_candidates", lambda: [tmp_path / "absent.sf2"])
    monkeypatch.setattr(soundfonts, "cached_bank_path", lambda: cached)
    # a two-preset bank keeps the test quick; the build path is the real one
    monkeypatch.setattr(assemble, "MELODIC", assemble.MELODIC[4:5])
    monkeypatch.setattr(assemble, "KIT", assemble.KIT[:2])
    monkeypatch.setattr(syllables, "syllable_bank", lambda: ([], [], []))
    assert soundfonts.default_soundfont_path() == cached
    built = cached.stat().st_mtime_ns
    assert sorted(load_soundfont(cached).presets) == [(0, 13), (128, 0)]
    assert soundfonts.default_soundfont_path() == cached
    assert cached.stat().st_mtime_ns == built  # built once, then reused
    assert not list(cached.parent.glob("*.part"))


def test_finds_files_in_folders_and_subfolders_and_describes_them(isolated):
    small_bank(isolated / "Full GM.sf2", "Full", range(128), kit=True)
    small_bank(isolated / "sub" / "little.SF2", "Little", [0, 40])
    (isolated / "broken.sf2").write_bytes(b"RIFF\x00\x00")
    (isolated / "notes.txt").write_text("not a soundfont")
    found = soundfonts.find_soundfonts()
    assert found[0].bundled and found[0].name == "Soundness GM"
    by_name = {f.path.name: f for f in found[1:]}
    assert set(by_name) == {"Full GM.sf2", "little.SF2", "broken.sf2"}
    assert by_name["Full GM.sf2"].looks_gm and by_name["Full GM.sf2"].preset_count == 129
    assert not by_name["little.SF2"].looks_gm and by_name["little.SF2"].gm_programs == 2
    assert "not a RIFF file" in by_name["broken.sf2"].error
    assert not found[0].looks_gm and found[0].has_drum_kit


def test_extra_paths_and_symlinks_are_listed_once(isolated, tmp_path):
    real = small_bank(tmp_path / "elsewhere" / "real.sf2", "Real", [0])
    (isolated / "link.sf2").symlink_to(real)
    found = soundfonts.find_soundfonts(extra=[real])
    assert [f.path for f in found[1:]] == [real]


def test_resolve_by_path_fragment_and_exact_name(isolated, tmp_path):
    timgm = small_bank(isolated / "TimGM6mb.sf2", "Tim", [0])
    small_bank(isolated / "TimGM6mb-extra.sf2", "Tim extra", [0])
    fluid = small_bank(isolated / "FluidR3_GM.sf2", "Fluid", [0])
    assert soundfonts.resolve_soundfont(str(fluid)) == fluid
    assert soundfonts.resolve_soundfont("fluid") == fluid
    assert soundfonts.resolve_soundfont("timgm6mb") == timgm  # the exact name wins
    assert soundfonts.resolve_soundfont("default") == soundfonts.default_soundfont_path()


def test_ambiguous_and_unknown_names_list_what_there_is(isolated):
    small_bank(isolated / "piano-a.sf2", "A", [0])
    small_bank(isolated / "piano-b.sf2", "B", [0])
    with pytest.raises(ParameterError) as info:
        soundfonts.resolve_soundfont("piano")
    message = str(info.value)
    assert "matches 2 files" in message
    assert f"[0] {isolated / 'piano-a.sf2'}" in message
    assert f"[1] {isolated / 'piano-b.sf2'}" in message
    with pytest.raises(ParameterError, match=f"'harp' not found.*{isolated}"):
        soundfonts.resolve_soundfont("harp")


def test_table_says_when_only_the_bundled_bank_exists(isolated):
    text = soundfonts.describe_soundfonts()
    assert "Soundness GM" in text and "(bundled, default)" in text
    assert "Only the bundled bank was found" in text
    assert f"{isolated} (0 found)" in text


def test_table_lists_every_found_bank(isolated):
    small_bank(isolated / "Full GM.sf2", "Full", range(128), kit=True)
    text = soundfonts.describe_soundfonts()
    assert "Only the bundled bank" not in text
    line = next(line for line in text.splitlines() if "Full GM.sf2" in line)
    assert line.split()[:3] == ["1", "full", "129"]
    assert f"{isolated} (1 found)" in text
