"""One Redis URL, several client dialects.

REDIS_URL is either redis://host:port/db (rediss:// for TLS) or unix:///path/to/redis.sock?db=N
for the embedded server. redis-py and channels-redis take both; kombu spells the unix
form redis+socket://.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

SCHEMES = ("redis", "rediss", "unix")


def validate_redis_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ImproperlyConfigured(
            f"REDIS_URL={url!r} must start with redis://, rediss:// or unix:// (got scheme {parts.scheme!r})."
        )
    if parts.scheme == "unix" and not parts.path:
        raise ImproperlyConfigured(f"REDIS_URL={url!r} names no socket path.")
    if parts.scheme != "unix" and not parts.hostname:
        raise ImproperlyConfigured(f"REDIS_URL={url!r} names no host.")
    return url


def kombu_url(url: str) -> str:
    """The same server in kombu's spelling (Celery broker)."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = f"?{parts.query}" if parts.query else ""
        # kombu reads the database number from virtual_host in the socket form
        query = query.replace("db=", "virtual_host=")
        return f"redis+socket://{parts.path}{query}"
    return url
