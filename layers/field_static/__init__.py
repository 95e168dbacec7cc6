"""The field pack's own scripts: the page's (field.js) and its service worker (sw.js).

Kept here, not in ``assets/``: Dash loads every script of ``assets/`` into every page,
and these belong to the field pack alone. :mod:`callbacks.field_page` serves them under
each plan's ``/field/<plan_id>/``, the service worker's scope.
"""
