"""Where an export can go: the exports folder, and the removable drives each system mounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundness_live.export import places
from soundness_live.export.places import (
    Place,
    export_places,
    linux_drives,
    mac_drives,
    windows_drives,
)

MOUNTS = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,mode=700,uid=1000 0 0
/dev/sdb1 /media/mia/KINGSTON vfat rw,nosuid,nodev,relatime,uid=1000,flush 0 0
/dev/sdc1 /media/mia/School\\040Stick exfat rw,nosuid,nodev,relatime,uid=1000 0 0
/dev/sdd1 /media/sam/THEIRS vfat rw,nosuid,nodev,relatime,uid=1001 0 0
/dev/sde1 /media/mia/KINGSTON/inner ext4 rw 0 0
/dev/sdf1 /run/media/mia/BACKUP ext4 rw,nosuid,nodev,relatime 0 0
/dev/sdf1 /run/media/mia/BACKUP ext4 rw,nosuid,nodev,relatime 0 0
/dev/loop3 /snap/core22/1234 squashfs ro,nodev,relatime 0 0
garbage
"""


def test_linux_lists_the_users_drives_under_media_and_run_media_once_each() -> None:
    found = linux_drives(MOUNTS, "mia")
    assert [(p.name, str(p.path)) for p in found] == [
        ("USB drive KINGSTON", "/media/mia/KINGSTON"),
        ("USB drive School Stick", "/media/mia/School Stick"),
        ("USB drive BACKUP", "/run/media/mia/BACKUP"),
    ]
    assert all(p.removable and p.key == str(p.path) for p in found)


def test_linux_lists_no_drive_of_another_user_nor_system_mounts() -> None:
    assert [p.name for p in linux_drives(MOUNTS, "sam")] == ["USB drive THEIRS"]
    assert linux_drives(MOUNTS, "nobody") == []
    assert linux_drives("", "mia") == []


def test_macos_lists_the_volumes_but_the_startup_disk_and_hidden_ones() -> None:
    volumes = [Path("/Volumes/Macintosh HD"), Path("/Volumes/KINGSTON"),
               Path("/Volumes/.timemachine"), Path("/Volumes/backup")]  # fmt: skip
    found = mac_drives(volumes, lambda volume: volume.name == "Macintosh HD")
    assert [p.name for p in found] == ["USB drive backup", "USB drive KINGSTON"]


def test_windows_lists_the_removable_drive_letters_only() -> None:
    types = {"C:\\": 3, "D:\\": 5, "E:\\": 2, "F:\\": 4, "G:\\": 2}  # fixed, CD, USB, net, USB
    found = windows_drives(["C", "D", "E", "F", "G"], lambda root: types[root])
    assert [(p.name, p.key) for p in found] == [("USB drive E:", "E:\\"), ("USB drive G:", "G:\\")]


def test_the_exports_folder_comes_first_then_the_drives(tmp_path: Path) -> None:
    drive = Place("/media/mia/K", "USB drive K", Path("/media/mia/K"), removable=True)
    listed = export_places(tmp_path, [drive])
    assert [(p.key, p.name, p.path, p.removable) for p in listed] == [
        ("exports", "exports folder", tmp_path / "exports", False),
        ("/media/mia/K", "USB drive K", Path("/media/mia/K"), True),
    ]


def test_this_computer_is_asked_for_its_own_kind_of_drives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(places.getpass, "getuser", lambda: "nobody-has-this-name")
    assert places.removable_drives("linux") == []  # the real mount table, no such user
    assert places.removable_drives("sunos5") == []
