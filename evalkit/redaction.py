"""Secrets never land on disk: URLs are written without their credentials.

A user may put a password in a URL (``http://user:pass@host``) or a key in its query string
(``?api-key=...``). :func:`redact_url` is the one place URLs are made safe to write: userinfo
removed (``***@`` marks that there was some), every query value and the fragment replaced by
``***``. A URL it cannot read with certainty (no http(s) scheme, a port that is no port, a
password holding '#' that splits the URL) is refused with an error that does not repeat it.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ConfigError

HIDDEN = "***"


def redact_url(url: Optional[str], what: str = "URL") -> Optional[str]:
    """``url`` safe to write (see the module docstring); None stays None."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:  # a bad port, or a password whose '#', '?' or '/' cut the URL short
        host, port, parts = None, None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{what}: not a readable http(s) URL (expected http://host[:port]/path; a password "
                          "holding '#', '?', '/' or '@' must be percent-encoded, e.g. '#' as %23)")
    netloc = (f"{HIDDEN}@" if parts.username is not None or parts.password is not None else "") + \
        (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    query = urlencode([(k, HIDDEN) for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, HIDDEN if parts.fragment else ""))


def redact_value(value: str) -> str:
    """A ``--model-args`` value safe to write: URLs redacted, other values as given."""
    if "://" not in value:
        return value
    return redact_url(value, "a --model-args URL") or value
