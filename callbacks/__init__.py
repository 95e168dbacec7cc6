"""Dash callbacks and page layouts, one module per page; each callback parses inputs and hands off."""
