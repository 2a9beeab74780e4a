import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Import what the first request would (the URLconf, every view, the API's schemas), then move every
# object alive now out of the garbage collector's sight: they live as long as the process, and a full
# collection walked all of them (about 125,000) every few thousand requests, 90-100 ms each time. Measured
# in-process on the doses benchmark's data: collector time per single dose 99 -> 32 µs, per batched dose
# 25 -> 7 µs (bench/README.md).
get_resolver().url_patterns  # noqa: B018 (the property imports the URLconf)
gc.collect()
gc.freeze()
