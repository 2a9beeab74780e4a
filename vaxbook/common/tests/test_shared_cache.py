"""The shared cache of several app servers (REDIS_URL, docs/operations.md): Django's Redis backend with the
client the project installs. A request signed with a bearer token and a scope look-up go through it."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.core.cache import caches
from django.test import override_settings

from vaxbook.common.testing import PersonFactory

pytestmark = pytest.mark.django_db

#: A database of its own on the machine's Redis, never the deployment's REDIS_URL.
REDIS_URL = os.environ.get("VAXBOOK_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


requires_redis = pytest.mark.skipif(not _reachable(REDIS_URL), reason=f"no Redis server at {REDIS_URL}")
REDIS_CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}


@requires_redis
@override_settings(CACHES=REDIS_CACHES)
def test_the_shared_cache_keeps_and_gives_back_a_value():
    cache = caches["default"]
    cache.set("vaxbook-test-key", {"scope": [1, 2]}, 30)
    try:
        assert cache.get("vaxbook-test-key") == {"scope": [1, 2]}
    finally:
        cache.delete("vaxbook-test-key")


@requires_redis
@override_settings(CACHES=REDIS_CACHES)
def test_the_api_answers_a_bearer_token_with_the_shared_cache(api, clerk_a, ward1):
    hoa = PersonFactory(full_name="Nguyễn Thị Hoà", ward=ward1)  # a new user's scope: not in the cache yet
    response = api.as_user(clerk_a).get("/api/v1/persons?q=nguyen thi hoa")
    assert response.status_code == 200, response.content
    assert [p["id"] for p in response.json()["results"]] == [str(hoa.public_id)]
