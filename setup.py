"""Packaging hook: a wheel carries the bundled SoundFont.

The bank (``soundfonts/soundness-gm.sf2``) lives in the repository next to the script that
makes it. A wheel has no ``soundfonts/`` folder, so building one copies the bank into the
package's data folder, the first place ``soundness_live.synth.sf2.find`` looks. (An editable
install reads it from the repository; a copy installed without it builds it on first use.)
Everything else about the package is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BANK = Path(__file__).resolve().parent / "soundfonts" / "soundness-gm.sf2"


class BuildWithBank(build_py):
    """``build_py`` that also puts the bundled bank into ``soundness_live/data/``."""

    def run(self) -> None:
        super().run()
        if BANK.is_file() and not getattr(self, "editable_mode", False):
            target = Path(self.build_lib) / "soundness_live" / "data" / BANK.name
            self.mkpath(str(target.parent))
            self.copy_file(str(BANK), str(target))


setup(cmdclass={"build_py": BuildWithBank})
