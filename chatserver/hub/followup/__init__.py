"""Follow-up by unique link: letters, an agreed next chat, and the visitor's own space.

Helplines work "blended": besides the live chat, a letter when the chat cannot help now and a
next conversation agreed at the end of one. The visitor stays anonymous and in charge: a long
random link is the only key (stored as a hash, shown once), and everything behind it follows
the line's retention or goes at once when the visitor asks ("forget me").

In reading order:

* ``model.py``: the records (a space, its letter threads and letters, appointments).
* ``spaces.py``: :class:`~chatserver.hub.followup.spaces.Spaces`, the link and what it opens:
  made, opened, replaced, revoked, forgotten, purged when idle.
* ``letters.py``: :class:`~chatserver.hub.followup.letters.LetterDesk`, asynchronous help:
  the visitor writes, a volunteer takes the thread, answers, or hands it to a colleague.
* ``appointments.py``: the next chat agreed at the end of one (issue 12, second part).

These are services over the store and the event bus, as the hub's own are (``hub.py``): they
share no private state with the hub.
"""
