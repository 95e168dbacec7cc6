"""The unit a page starts from for the account asking: the store's top, or the account's scope below it.

The one place the pages read the account's scope for their top unit (the access rules
keep their own checks), so widening the scope from a township to any level changes
this module only.
"""

from __future__ import annotations

from analytics.levels import Top
from callbacks.access import account_scope
from callbacks.store_data import StoreData


def page_top(data: StoreData) -> Top:
    """The top unit of ``data`` as the current account may see it (a kiosk or no scope: the whole store)."""
    return data.top(account_scope())
