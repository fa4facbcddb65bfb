"""The wheel carries the bundled SoundFont, so an installed copy plays at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from soundness_live.synth.sf2.find import BANK_FILE
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[1]
PAGE = ("index.html", "remote.css", "remote.js")


def test_the_wheel_carries_the_bundled_bank(tmp_path: Path) -> None:
    try:
        import setuptools
        import wheel  # noqa: F401
    except ImportError:
        require(False, "building a wheel needs setuptools and wheel (pip install -e '.[test]')")
    major = int(setuptools.__version__.split(".")[0])
    require(major >= 68, f"setuptools {setuptools.__version__} is older than the build needs (68)")
    source = tmp_path / "source"  # a copy: the build leaves its own files where it runs
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "soundness_live", source / "soundness_live", ignore=ignore)
    shutil.copytree(ROOT / "soundfonts", source / "soundfonts", ignore=ignore)
    out = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    (built,) = out.glob("soundness_live-*.whl")
    with zipfile.ZipFile(built) as archive:
        inside = archive.read(f"soundness_live/data/{BANK_FILE}")
        page = {name: archive.read(f"soundness_live/remote/static/{name}") for name in PAGE}
    assert inside == (ROOT / "soundfonts" / BANK_FILE).read_bytes()
    for name, text in page.items():  # the browser remote's page, everything it loads
        assert text == (ROOT / "soundness_live" / "remote" / "static" / name).read_bytes()
