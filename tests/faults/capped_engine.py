"""What the volume-cap fault tests share: an engine whose store holds children with caps, one of
their keyboards connected, and any JSON value a client could send."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from soundness_live.core.events import DeviceChange
from soundness_live.live.engine import Engine, EngineOptions
from soundness_live.store.records import Store

CAPPED_CHILDREN = {"CAP-30": -30.0, "CAP-18": -18.0, "CAP-06": -6.0}


@contextmanager
def capped_engine(data_dir: Path, **options: Any) -> Iterator[Engine]:
    """An engine (``options`` as EngineOptions takes them) over a store holding
    :data:`CAPPED_CHILDREN`, a keyboard connected; closed afterwards."""
    with Store.open(data_dir / "soundness.db") as store:
        for code, cap in CAPPED_CHILDREN.items():
            store.add_child({"code": code, "volume_cap_dbfs": cap})
    engine = Engine(EngineOptions(data_dir=data_dir, midi="none", **options))
    engine.start()
    engine.live_input.on_device_change(DeviceChange("keyboard", True, time.monotonic()))
    try:
        yield engine
    finally:
        engine.close()


def json_values(*edge_numbers: float) -> st.SearchStrategy[Any]:
    """Any JSON value a client could send, small, with ``edge_numbers`` among its numbers."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(10**6), 10**6)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.sampled_from([0, 0.0, -0.0, *edge_numbers, -61, -60, -18.0000001, 1e308])
        | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=4,
    )
