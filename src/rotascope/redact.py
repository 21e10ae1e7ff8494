"""Scrub secrets and terminal-hostile bytes from text before it is printed, logged or stored.

* :func:`redact_url` drops a URL's userinfo (``user:password@``) and its query string, so a message
  naming an endpoint never carries a password or a key.
* :func:`scrub` replaces every given secret value, and every ``api_key=``/``token=``/``key=``/
  ``password=``/``sig=`` style query value, with ``***`` anywhere in a text (a provider's error text may
  echo the request back; a feed URL is printed and logged through it).
* :func:`clean_text` removes control characters (terminal escape sequences included) and caps the size.

A leaf module: it imports nothing from rotascope.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["MASK", "clean_text", "redact_url", "scrub"]

MASK = "***"
_SECRET_PARAM = re.compile(
    r"((?:api[_-]?key|apikey|token|access[_-]?token|key|password|secret|sig|signature)=)[^&\s\"'<>]*",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"(?<=://)[^/@\s\"'<>]+@")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def redact_url(url: str) -> str:
    """``url`` without userinfo and without its query/fragment (``?…`` becomes ``?***``)."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return scrub(text)
    if not parts.scheme or not parts.netloc:
        return scrub(text)
    host = parts.netloc.rsplit("@", 1)[-1]
    query = MASK if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secret values, URL userinfo and key-like query values masked."""
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(f"{MASK}@", text)
    return _SECRET_PARAM.sub(rf"\1{MASK}", text)


def clean_text(text: str, max_bytes: int) -> str:
    """``text`` without escape sequences and control characters (newlines and tabs kept), cut to at most
    ``max_bytes`` bytes of UTF-8 (on a character boundary)."""
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    raw = text.encode("utf-8")
    if len(raw) <= max_bytes:
        return text
    return raw[:max_bytes].decode("utf-8", errors="ignore")
