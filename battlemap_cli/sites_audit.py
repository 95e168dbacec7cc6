"""``battlemap sites --audit``: the relocation sites already built, their exposure, services, occupancy, follow-up."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analytics.site_audit import audit_sites
from analytics.sites import SITE_LAYERS, build_site_model
from battlemap_cli._files import write_text
from geodata._errors import InputError
from geodata.settings import Settings
from geodata.store import Store
from layers.site_text import audit_csv

RELOCATED = "relocated_households"


def run_audit(store: Store, settings: Settings, outs: list[Path], lang: str) -> int:
    """Audit every ``relocation_site`` facility, print the table and write each of ``outs`` (.csv, .geojson)."""
    if not store.has("facilities"):
        msg = f"{store.label} has no facilities layer: import facilities with the built relocation sites (安置点)"
        raise InputError(msg)
    layers = {name: frame for name in SITE_LAYERS if (frame := store.read_or_none(name)) is not None}
    model = build_site_model(layers, settings=settings)
    relocated = store.read_or_none(RELOCATED)
    audit = audit_sites(
        model,
        layers["facilities"],
        hazards=layers.get("hazards"),
        relocated=pd.DataFrame(relocated) if relocated is not None else None,
    )
    for path in outs:
        if path.suffix.lower() == ".csv":
            write_text(path, audit_csv(audit))
        else:
            write_text(path, json.dumps(json.loads(audit.round(4).to_json(drop_id=True)), ensure_ascii=False, indent=1))
    shown = audit[["site_id", "name", "capacity", "slope_deg", "hazard_m", "minutes_school", "minutes_clinic"]]
    shown = shown.assign(households=audit["households"], flags=audit["flags"].replace("", "—"))
    print(f"{len(audit)} built relocation sites" + ("" if relocated is not None else f" (no {RELOCATED} layer)"))
    print(pd.DataFrame(shown).round(1).to_string(index=False))
    for path in outs:
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0
