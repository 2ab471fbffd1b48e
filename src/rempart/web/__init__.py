"""The local dashboard (``rempart serve``): FastAPI, server-rendered pages, no script.

See :func:`rempart.web.app.create_app`.
"""

from __future__ import annotations

from rempart.web.app import create_app

__all__ = ["create_app"]
