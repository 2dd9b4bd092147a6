"""gzip for text responses, when the client asks for it.

Volunteers often work from home on slow lines and visitors from a phone with little data:
the console's scripts, the widget and the line API shrink to a fraction gzipped. So every
text response - HTML, JavaScript, CSS, JSON, SVG, CSV, from a view or a file - is compressed
when the request's ``Accept-Encoding`` allows gzip, and always carries ``Vary:
Accept-Encoding`` so a cache in between keeps the two forms apart. Left alone:

* bodies under ``MIN_BYTES``: the gzip header would eat the gain;
* what is compressed already (images, a response with its own ``Content-Encoding``) or not
  text at all;
* socket.io: engine.io compresses its long-polling answers itself (``text/plain`` and
  binary here, never touched), and a WebSocket is no HTTP body;
* responses already on their way (streamed, or a WebSocket upgrade);
* a file asked for with ``HEAD``, a condition (``If-None-Match``, ``If-Modified-Since`` ...)
  or a ``Range``: a range of a gzip stream is not the range asked for, and aiohttp 3.14
  writes an empty gzip stream after the headers of a compressed file's 304 or HEAD answer,
  which breaks the next response on the connection. A browser revalidating a cached file
  gets the 304 it needs; only a file that changed since comes back uncompressed, once.

BREACH (guessing a secret in a compressed page from its size, with attacker-chosen text
reflected beside it) needs the victim's browser to send its cookies on a request another site
makes. Every cookie that unlocks a page holding a token here (session, login and enrolment
CSRF) is ``SameSite=Strict``, so such a request gets the login page with a fresh token.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

MIN_BYTES = 256
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/manifest+json",
        "image/svg+xml",
        "text/csv",
    }
)
NO_BODY = frozenset({101, 204, 206, 304})
# what makes a file's answer something other than its whole body
FILE_CONDITIONS = (
    hdrs.RANGE,
    hdrs.IF_RANGE,
    hdrs.IF_NONE_MATCH,
    hdrs.IF_MODIFIED_SINCE,
    hdrs.IF_MATCH,
    hdrs.IF_UNMODIFIED_SINCE,
)


def accepts_gzip(header: str) -> bool:
    """Does ``Accept-Encoding`` allow gzip? ``gzip;q=0`` refuses it, ``*`` allows it."""
    gzip: float | None = None
    anything: float | None = None
    for item in header.split(","):
        name, _, parameters = item.partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        name = name.strip().lower()
        if name in ("gzip", "x-gzip"):
            gzip = quality
        elif name == "*":
            anything = quality
    if gzip is not None:
        return gzip > 0
    return anything is not None and anything > 0


def _text_body(response: web.StreamResponse) -> bool:
    """A text body of our own, large enough to gain: it varies with Accept-Encoding."""
    if response.prepared or response.status in NO_BODY or hdrs.CONTENT_ENCODING in response.headers:
        return False
    media = response.headers.get(hdrs.CONTENT_TYPE, "").split(";", 1)[0].strip().lower()
    if media not in COMPRESSIBLE:
        return False
    if isinstance(response, web.FileResponse):
        return True
    if isinstance(response, web.Response):
        body = response.body
        return isinstance(body, bytes | bytearray) and len(body) >= MIN_BYTES
    return False


def _whole_file_asked(request: web.Request, response: web.StreamResponse) -> bool:
    """False for a file asked for with HEAD, a condition or a range (module docstring)."""
    if not isinstance(response, web.FileResponse):
        return True
    return request.method == hdrs.METH_GET and not any(
        name in request.headers for name in FILE_CONDITIONS
    )


def _vary_on_encoding(response: web.StreamResponse) -> None:
    present = [
        part.strip().lower()
        for value in response.headers.getall(hdrs.VARY, ())
        for part in value.split(",")
    ]
    if "accept-encoding" not in present and "*" not in present:
        response.headers.add(hdrs.VARY, hdrs.ACCEPT_ENCODING)


@web.middleware
async def compress_text(request: web.Request, handler: Handler) -> web.StreamResponse:
    """gzip a text response when the client accepts it (see the module's docstring)."""
    response = await handler(request)
    if not _text_body(response):
        return response
    _vary_on_encoding(response)
    if _whole_file_asked(request, response) and accepts_gzip(
        request.headers.get(hdrs.ACCEPT_ENCODING, "")
    ):
        response.enable_compression(web.ContentCoding.gzip)
    return response
