import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from config.startup import require_secret_key
from vaxbook.common.wsgi import bodies_without_length_measured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()
require_secret_key()

# A body sent without its length (in chunks, or over HTTP/2) is measured before Django reads it, and one that
# ends before its length is refused: vaxbook/common/wsgi.py.
application = bodies_without_length_measured(django_application)

# Import what the first request would (the URLconf, every view, the API's schemas), then move every
# object alive now out of the garbage collector's sight: they live as long as the process, and each full
# collection walked all of them (about 113,000). The measured effect is in bench/README.md.
get_resolver().url_patterns  # noqa: B018 (the property imports the URLconf)
gc.collect()
gc.freeze()
