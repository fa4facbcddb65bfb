"""config.toml: the settings it may hold, and changing a few keys without touching the rest."""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest

from soundness_live.config import ensure_installation, load_settings, save_settings
from soundness_live.errors import FileFormatError, ParameterError


def test_save_settings_changes_only_the_keys_it_sets(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# this laptop\ntherapist = "Mia Berger"   # who runs it\nlaptop = "old"\n')
    settings = save_settings(tmp_path, laptop="Room 2", clinic_url="postgresql://mia@db/therapy")
    assert config.read_text() == (
        '# this laptop\ntherapist = "Mia Berger"   # who runs it\nlaptop = "Room 2"\n'
        'clinic_url = "postgresql://mia@db/therapy"\n'
    )
    assert (settings.therapist, settings.laptop) == ("Mia Berger", "Room 2")
    assert save_settings(tmp_path, laptop=None).laptop is None
    assert "laptop =" not in config.read_text() and "# this laptop" in config.read_text()
    if os.name == "posix":
        assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_a_label_with_quotes_and_accents_round_trips(tmp_path: Path) -> None:
    assert save_settings(tmp_path, laptop='Zoé\'s "big" laptop \\ 2').laptop == (
        'Zoé\'s "big" laptop \\ 2'
    )


def test_bad_values_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="must not hold a password"):
        save_settings(tmp_path, clinic_url="postgresql://mia:secret@db/therapy")
    with pytest.raises(ParameterError, match="must be a postgresql:// URL, got 'http://db'"):
        save_settings(tmp_path, clinic_url="http://db")
    with pytest.raises(ParameterError, match="must be a UUID"):
        save_settings(tmp_path, installation_id="laptop-1")
    with pytest.raises(ParameterError, match="unknown setting 'colour'"):
        save_settings(tmp_path, colour="red")
    assert not (tmp_path / "config.toml").exists()
    (tmp_path / "config.toml").write_text("therapist = [1]\n")
    with pytest.raises(FileFormatError, match="key 'therapist' must be a name"):
        save_settings(tmp_path, laptop="Room 2")  # a damaged file is never overwritten
    assert (tmp_path / "config.toml").read_text() == "therapist = [1]\n"


def test_the_installation_id_is_made_once(tmp_path: Path) -> None:
    first = ensure_installation(tmp_path)
    assert uuid.UUID(first.installation_id or "").version == 4
    assert first.laptop  # the machine's name until one is given
    second = ensure_installation(tmp_path, laptop="Room 2")
    assert second.installation_id == first.installation_id and second.laptop == "Room 2"
    assert ensure_installation(tmp_path) == second == load_settings(tmp_path)
