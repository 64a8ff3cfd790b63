"""gunicorn's configuration file (`gunicorn -c config/gunicorn_conf.py`): the Dockerfile's web command and .ci/fuzz.

gunicorn writes `Server: gunicorn` into every response itself, after the application has
answered, and has no setting to leave it out (up to 27.x at least): no middleware can
remove it. The banner only tells a scanner what to try, so the response class gunicorn
builds its headers with drops it. This file is read by the arbiter before it forks, so
every worker has the change.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [header for header in _default_headers(self) if not header.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
