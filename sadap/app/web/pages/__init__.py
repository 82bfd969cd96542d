"""Workspace pages beyond the core set (overview, mentions, incidents, complaints, playbooks, rules).

A page is one module here and one line in ``PAGES``. The module declares:

- ``ROUTES``: ``(path, handler, methods)`` like ``sadap.app.web.routes.ROUTES``; a handler is
  ``async def handler(ws: Workspace, request: Request) -> Response``.
- ``NAV``: ``(path, word key, role)`` for the top bar, or ``None`` for a page without a tab.
- ``WORDS``: the page's own words, ``key: (Thai, English)``; keys must not clash with
  ``sadap.app.web.i18n.WORDS`` (``tests/test_house.py`` checks).
Templates go in ``sadap/app/web/templates/`` named after the module.
"""

from __future__ import annotations

from types import ModuleType

from sadap.app.web.pages import backups, cases, partners, responses, sources, stakeholders

PAGES: tuple[ModuleType, ...] = (
    sources,
    partners,
    stakeholders,
    cases,
    responses,
    backups,
)
