"""Response headers that make the browser enforce what the service already promises.

Every page is built from the service's own files: no inline script or style, no asset
from another site, no frame.  The Content-Security-Policy says exactly that, so a value
that somehow reached a page as markup still could not run or load anything; the other
headers stop a browser guessing a download's type, framing a page on another site
(clickjacking) or sending a page's address with a link.  Pages carry an organisation's
figures, so they are never kept by a shared cache.  The development server's banner
(``Server: Werkzeug/... Python/...``) is replaced by the service's name, so a response
does not advertise versions to look up vulnerabilities for.

``FROI_HTTPS=true`` (a deployment behind an HTTPS proxy) adds Strict-Transport-Security
and marks the session cookie Secure (docs/web.md lists the settings).
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Response

from . import settings

#: Only the service's own scripts, styles, images and forms; nothing may frame a page.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
#: What the development server says it is, instead of its and Python's versions.
SERVER_NAME = "froi"
#: A year, as GOV.UK services send it, once a deployment says it is served over HTTPS.
HSTS = "max-age=31536000; includeSubDomains"


def _version_string(handler: WSGIRequestHandler) -> str:
    return SERVER_NAME


def init_app(app: Flask) -> None:
    """Add the headers to every response of ``app``; Secure cookies under HTTPS."""
    https = settings.flag(app, "HTTPS", False)
    if https:
        app.config["SESSION_COOKIE_SECURE"] = True
    # the development server writes its banner itself, outside the app; its handler
    # class is the one place to change it (gunicorn's is set in gunicorn.conf.py)
    WSGIRequestHandler.version_string = _version_string  # type: ignore[method-assign,assignment]

    @app.after_request
    def secure_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
