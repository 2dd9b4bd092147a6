"""Every typed key of the application, in one module that imports no view.

``app.py`` fills them and the views read them. Kept apart from both, so a view never
imports ``app.py`` or the route table to reach the hub: that is what made an import circle
(and function-level imports to dodge it) before.
"""

from __future__ import annotations

from aiohttp import web

from chatserver.accounts.enrolments import EnrolmentBook
from chatserver.accounts.throttle import Throttle
from chatserver.hub.followup.service import FollowUp
from chatserver.hub.hub import Hub
from chatserver.monitoring import Metrics
from chatserver.privacy.letter_limit import LetterLimit
from chatserver.privacy.link_guard import LinkGuard
from chatserver.privacy.pseudonyms import PseudonymKey

HUB = web.AppKey("hub", Hub)
# {"ready": bool, "draining": bool}: what /healthz reports to a load balancer
READY = web.AppKey("ready", dict)
# failed logins and used TOTP codes: per application, not per module, so two servers in one
# process (the tests) do not share a lockout. Each of these edges is a protocol: the memory
# version here, a Redis one (backends/redis_edges/) shared by the nodes of the distributed mode
THROTTLE = web.AppKey[Throttle]("login_throttle")
# the instruments and registry of GET /metrics: per application, like the throttle
METRICS = web.AppKey("metrics", Metrics)
# second-factor enrolments in progress (web/enrolment.py): per application
ENROLMENTS = web.AppKey[EnrolmentBook]("enrolments")
# the keyed, rotating pseudonyms of client addresses (the abuse guard's): the login lockout
# counts failures per source with them, never per address
PSEUDONYMS = web.AppKey[PseudonymKey]("pseudonyms")
# letters and the visitors' spaces behind links (hub/followup/), and the guard against guessing
FOLLOW_UP = web.AppKey("follow_up", FollowUp)
LINK_GUARD = web.AppKey("link_guard", LinkGuard)
# letters written per source and hour (privacy/letter_limit.py): per application, like the rest
LETTER_LIMIT = web.AppKey("letter_limit", LetterLimit)

# the language a page view chose (``?lang=``, a form's field): an error page that the view
# raises is then shown in it, instead of being guessed again from the request
PAGE_LANG = web.RequestKey("page_lang", str)
# a long-polling POST body that realtime/server.py read and checked, replayed to Engine.IO
SCREENED_BODY = web.RequestKey("screened_body", bytes)
