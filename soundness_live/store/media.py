"""Audio kept in the store: the child's voice (only with consent) and recorded prompts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from soundness_live.errors import ParameterError, StoreError
from soundness_live.players.profiles import ChildProfile
from soundness_live.store.checks import to_json
from soundness_live.store.db import stored_json

__all__ = ["MediaMixin"]


class MediaMixin:
    """Voice recordings and prompt assets; mixed into :class:`~soundness_live.store.Store`."""

    # Provided by Store (declared here for type checkers).
    path: Any

    def _running(self, session_id: int) -> Any:
        raise NotImplementedError

    def get_child(self, code: str) -> ChildProfile:
        """The child's profile (see Store.get_child)."""
        raise NotImplementedError

    def _write(self, sql: str, args: Iterable[Any] = ()) -> Any:
        raise NotImplementedError

    def _rows(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        raise NotImplementedError

    def _stamp(self) -> str:
        raise NotImplementedError

    def add_voice_recording(self, session_id: int, trial_index: int, wav: bytes) -> bool:
        """Keep the child's voice for one trial of a running session; whether it was kept.

        Refused with StoreError unless the child's ``consent.voice_recording`` is true: voice
        may always be analysed, but it is stored only with consent. Consent withdrawn by
        another program between that check and the write is honoured: nothing is kept (False).
        """
        row = self._running(session_id)
        code = row["child_code"]
        if not self.get_child(code).consent.voice_recording:
            raise StoreError(
                f"child {code!r} has no consent for voice recording; "
                "voice may be analysed but not stored"
            )
        if not isinstance(wav, (bytes, bytearray)) or not wav:
            raise ParameterError(f"voice recording must be non-empty WAV bytes, got {wav!r:.40}")
        # consent is read again in the same statement: one withdrawn a moment ago wins
        kept = self._write(
            "INSERT OR REPLACE INTO voice_recordings SELECT ?, ?, ?, ? WHERE EXISTS "
            "(SELECT 1 FROM children WHERE code = ? AND "
            "json_extract(consent, '$.voice_recording') = 1)",
            (session_id, trial_index, bytes(wav), self._stamp(), code),
        )
        return bool(kept.rowcount == 1)

    def voice_recording(self, session_id: int, trial_index: int) -> bytes | None:
        """The stored WAV bytes of one trial's voice, or None."""
        rows = self._rows(
            "SELECT wav FROM voice_recordings WHERE session_id = ? AND trial_idx = ?",
            (session_id, trial_index),
        )
        return bytes(rows[0][0]) if rows else None

    def add_prompt_asset(
        self,
        name: str,
        *,
        wav: bytes | None = None,
        path: str | None = None,
        analysis: Mapping[str, Any] | None = None,
    ) -> None:
        """Store (or replace) a recorded prompt: WAV bytes or a file path, and its analysis."""
        if not isinstance(name, str) or not name:
            raise ParameterError(f"prompt asset name must be a non-empty string, got {name!r}")
        if wav is None and path is None:
            raise ParameterError(f"prompt asset {name!r} needs wav bytes or a path")
        analysis_json = to_json(dict(analysis), "prompt analysis") if analysis else None
        self._write(
            "INSERT OR REPLACE INTO prompt_assets VALUES (?, ?, ?, ?, ?)",
            (name, wav, path, analysis_json, self._stamp()),
        )

    def prompt_asset_names(self) -> list[str]:
        """The names of the stored prompt assets, in order."""
        return [row[0] for row in self._rows("SELECT name FROM prompt_assets ORDER BY name", ())]

    def prompt_asset(self, name: str) -> dict[str, Any] | None:
        """A stored prompt asset as {name, wav, path, analysis, created_at}, or None."""
        rows = self._rows("SELECT * FROM prompt_assets WHERE name = ?", (name,))
        if not rows:
            return None
        asset = dict(rows[0])
        analysis = asset["analysis"]
        asset["analysis"] = (
            stored_json(self.path, analysis, "prompt analysis") if analysis else None
        )
        return asset
