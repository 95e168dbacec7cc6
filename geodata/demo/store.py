"""Write the demo county into a store: in one transaction, logged like any import."""

from __future__ import annotations

import logging
from collections.abc import Callable

from geodata._errors import ConfigError
from geodata.demo.city import make_demo_city
from geodata.demo.county import GENERATION_STEPS
from geodata.schemas import DERIVED_COLUMNS
from geodata.store import Frame, Store, conform

log = logging.getLogger(__name__)
DEMO_STEPS = (*GENERATION_STEPS, "written", "committed")


def demo_steps(counties: int) -> int:
    """How many times :func:`write_demo` calls ``progress`` for ``counties`` counties."""
    return counties * len(GENERATION_STEPS) + len(DEMO_STEPS) - len(GENERATION_STEPS)


def write_demo(
    store: Store,
    *,
    seed: int,
    households: int = 60000,
    counties: int = 1,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Generate the demo county (or ``counties`` counties of the demo city) and replace every layer of the store.

    ``progress`` is called after each of :data:`DEMO_STEPS` (the generation steps once per
    county). ``households`` is per county. Returns the rows written per layer.
    """
    step = progress or (lambda _label: None)
    layers = make_demo_city(counties=counties, seed=seed, households=households, progress=step)
    with store.transaction() as tx:
        for name, frame in layers.items():
            tx.write(name, conform(_with_derived(frame, name), name))
        tx.log(
            action="demo",
            layer="*",
            rows=sum(len(f) for f in layers.values()),
            source=f"demo seed {seed}",
            detail={"seed": seed, "households": households, "counties": counties},
        )
        step("written")
    step("committed")
    return {name: len(frame) for name, frame in layers.items()}


def _with_derived(frame: Frame, layer: str) -> Frame:
    """The layer with the flags an import would add (the demo's data need no repair)."""
    out = frame.copy()
    defaults = {"location_estimated": False, "location_mismatch": False, "id_checksum_ok": True}
    for name in DERIVED_COLUMNS.get(layer, ()):
        if name not in out:
            out[name] = defaults[name]
    return out


def ensure_demo_store(store: Store, *, seed: int, production: bool = False) -> bool:
    """Fill an absent store with the demo county (never in production); True when it was created now.

    A store that exists without villages is refused rather than overwritten (it may hold a
    county's real towns or ledgers); so is a missing store in production, where it means
    a mistyped ``BATTLEMAP_STORE``, and demo households must never pass for real ones.
    """
    if store.exists() and store.has("villages"):
        return False
    if store.exists():
        msg = f"{store.label} has no villages layer: import villages first (battlemap import villages FILE)"
        raise ConfigError(msg)
    if production:
        msg = f"no store at {store.label}: check BATTLEMAP_STORE / --store (production never writes the demo county)"
        raise ConfigError(msg)
    log.warning("no store at %s: writing the demo county (seed %s)", store.label, seed)
    write_demo(store, seed=seed)
    return True
