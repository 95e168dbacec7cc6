"""The recording controls of the field pack: per stop arrival, households visited, findings and photos.

HTML only; ``layers/field_static/record.js`` makes them work: it keeps each record in the
phone's IndexedDB queue and sends it to ``/field/<plan_id>/sync``
(:mod:`callbacks.field_sync`) when there is a network. The categories are the county's
checks (``[findings] categories``), the households those of the stop, masked as the pack
shows them. Every text is escaped.
"""

from __future__ import annotations

import html
from typing import Any

from geodata.settings import FieldSettings, get_settings
from layers.i18n import t, template

MESSAGES = {  # data-msg-* of <body> read by record.js
    "arrived-at": "field_arrived_at",
    "unsent": "field_unsent",
    "queued": "field_queued",
    "sent": "field_sent",
    "sending": "field_sending",
    "sync-done": "field_sync_done",
    "sync-offline": "field_sync_offline",
    "sync-login": "field_sync_login",
    "sync-refused": "field_sync_refused",
    "remove": "field_remove",
    "need-text": "field_need_text",
    "no-position": "field_no_position",
    "kind-arrival": "field_kind_arrival",
    "kind-households": "field_kind_households",
    "kind-finding": "field_kind_finding",
    "kind-photo": "field_kind_photo",
    "outside": "field_outside_village",
}
STYLE = """
.fp-queue{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;
padding:.4rem 0;background:#f6f7f9}.fp-queue .fp-unsent{flex:1 1 8rem;font-weight:600}
.fp-queue.has-unsent .fp-unsent{color:#a4261d}.fp-warn{display:none;flex:1 1 100%;margin:0;font-size:.88rem;
color:#a4261d}.fp-queue.has-unsent .fp-warn{display:block}.fp-primary{background:#1f4e79;color:#fff;
border-color:#1f4e79}.fp-record{display:grid;gap:.45rem}.fp-record label{display:grid;gap:.15rem;font-size:.92rem}
.fp-record select,.fp-record textarea{font:inherit;min-height:44px;width:100%;padding:.3rem;border:1px solid #b9c2cc;
border-radius:6px;background:#fff}.fp-record textarea{min-height:5.5rem}
.fp-homes{border:1px solid #dde1e6;border-radius:4px;padding:.2rem .5rem .5rem;margin:0}
.fp-homes legend{font-size:.92rem;color:#4a5260}.fp-homes label.fp-tick{display:flex;align-items:center;gap:.5rem;
min-height:44px}.fp-tick input{width:24px;height:24px}.fp-file input{position:absolute;opacity:0;width:1px;height:1px}
.fp-file{position:relative}.fp-picked{font-size:.88rem;color:#4a5260}.fp-saved{list-style:none;margin:.3rem 0 0;
padding:0;font-size:.9rem}.fp-saved li{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .5rem;
padding:.25rem 0;border-top:1px dotted #dde1e6}.fp-saved .st{color:#4a5260}.fp-saved .sent .st{color:#21723a}
.fp-saved .refused .st,.fp-saved .flag,.fp-arrived .flag{color:#a4261d}.fp-arrived{font-size:.9rem;margin:.2rem 0}
"""


def body_attributes(lang: str, settings: FieldSettings) -> str:
    """The <body> attributes record.js reads: its words, the photo size and the arrival tolerance settings."""
    words = " ".join(f'data-msg-{k}="{html.escape(template(key, lang))}"' for k, key in MESSAGES.items())
    flagged = html.escape(t("field_flagged", lang))  # names a setting: filled here, not in the script
    size = f'data-photo-side="{int(settings.photo_max_side_px)}" data-photo-quality="{settings.photo_quality:g}"'
    tolerance = f'data-arrival-tolerance-m="{settings.arrival_tolerance_m:g}"'
    return f'{words} data-msg-flagged="{flagged}" {size} {tolerance}'


def queue_bar(lang: str) -> str:
    """The unsent count, the send button and the warning that logging out clears unsent records."""
    esc = html.escape
    return (
        f'<div class="fp-queue" id="fp-queue"><span class="fp-unsent" id="fp-unsent" role="status">'
        f"{esc(t('field_unsent', lang, n=0))}</span>"
        f'<button type="button" class="fp-btn fp-primary" id="fp-sync">{esc(t("field_sync", lang))}</button>'
        f'<p class="fp-warn">{esc(t("field_unsent_warning", lang))}</p>'
        f'<p class="fp-status" id="fp-sync-status" role="status"></p></div>'
    )


def record_controls(stop: dict[str, Any], lang: str, rings: str = "") -> str:
    """A stop's arrival button, households to tick, the finding form and the list of what was recorded.

    ``rings`` is the village outline in the map's units (:func:`layers.field_map.village_rings`):
    the phone flags an arrival outside it at once, before the server (the authority) answers.
    """
    esc = html.escape
    homes = [(str(h["household_id"]), f"{h['household_id']} {h.get('head') or ''}".strip()) for h in stop["households"]]
    ticks = "".join(
        f'<label class="fp-tick"><input type="checkbox" value="{esc(hid)}">{esc(label)}</label>' for hid, label in homes
    )
    households = (
        f'<fieldset class="fp-homes"><legend>{esc(t("field_households_visited", lang))}</legend>{ticks}'
        f'<button type="button" class="fp-btn" data-act="households">{esc(t("field_save_households", lang))}</button>'
        "</fieldset>"
        if homes
        else ""
    )
    categories = "".join(
        f'<option value="{esc(zh)}">{esc(zh if lang == "zh" else en)}</option>'
        for zh, en in get_settings().findings.categories.items()
    )
    choose = "".join(f'<option value="{esc(hid)}">{esc(label)}</option>' for hid, label in homes)
    limit = get_settings().limits.finding_chars
    return (
        f'<div class="fp-record" data-outline="{esc(rings)}">'
        '<button type="button" class="fp-btn fp-primary" data-act="arrival">'
        f'{esc(t("field_arrived", lang))}</button><p class="fp-arrived"></p>{households}'
        f'<form class="fp-record fp-finding"><label>{esc(t("field_category", lang))}'
        f'<select name="category">{categories}</select></label>'
        + (
            f'<label>{esc(t("field_household", lang))}<select name="household"><option value="">—</option>'
            f"{choose}</select></label>"
            if homes
            else ""
        )
        + f'<label>{esc(t("field_finding_text", lang))}<textarea name="text" maxlength="{limit}"></textarea></label>'
        f'<label class="fp-btn fp-file">{esc(t("field_photo", lang))}'
        '<input type="file" name="photo" accept="image/*" capture="environment" multiple></label>'
        '<p class="fp-picked"></p>'
        f'<button type="submit" class="fp-btn fp-primary">{esc(t("field_save_finding", lang))}</button></form>'
        '<ul class="fp-saved"></ul></div>'
    )
