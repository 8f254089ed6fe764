"""Rendering print-ready Chinese PDFs with WeasyPrint (DESIGN §7, STACK.md).

Documents are rendered from templates/pdf/ with a CJK font named explicitly in pdf/base.css (a
missing glyph is otherwise dropped silently). The URL fetcher serves only the project's own static
files and data: URIs: no file:// and no outside hosts, whatever a template or a user's text says.
"""

from __future__ import annotations

import io
import mimetypes
from pathlib import Path

import segno
from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.clock import township_today

STATIC_PREFIX = "minqing-static:"


class RefusedURL(ValueError):
    pass


class SafeURLFetcher(URLFetcher):
    """Serve minqing-static:<path> from app/static, and data: URIs; refuse everything else."""

    def __init__(self, static_root: Path):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)
        self._root = static_root.resolve()

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_PREFIX):
            path = (self._root / url[len(STATIC_PREFIX):].lstrip("/")).resolve()
            if self._root not in path.parents or not path.is_file():
                raise RefusedURL(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise RefusedURL(url)


def qr_data_uri(url: str, scale: int = 4) -> str:
    """A QR code as an SVG data: URI, for a receipt's link to its tracking or rating page."""
    return segno.make(url, error="m").svg_data_uri(scale=scale)


# Documents posted on notice boards or handed to anyone: numbers in their text are masked as on
# public pages (app.privacy.mask_for_public). Letters to one resident or one cadre are not.
PUBLIC_DOCUMENTS = frozenset({
    "board_poster.html", "rates_poster.html", "rates_report.html", "assembly_announcement.html",
    "assembly_results.html", "studio_rota.html", "hall_guide.html",
})


def render_pdf(template: str, **context) -> bytes:
    """Render templates/pdf/<template> to PDF bytes. The template extends pdf/base.html."""
    from app.privacy import public_output

    context.setdefault("issued_on", township_today(context.get("township")))
    if template in PUBLIC_DOCUMENTS:
        with public_output():
            html = render_template(f"pdf/{template}", static_prefix=STATIC_PREFIX, **context)
    else:
        html = render_template(f"pdf/{template}", static_prefix=STATIC_PREFIX, **context)
    buffer = io.BytesIO()
    fetcher = SafeURLFetcher(Path(current_app.static_folder))
    HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=fetcher).write_pdf(buffer)
    return buffer.getvalue()
