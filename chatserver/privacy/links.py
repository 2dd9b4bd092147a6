"""Where the links are in a piece of plain text: one pass, time linear in the text's length.

A visitor may send anything up to the maximum message length, and every message is turned
into HTML before anyone else sees it. The link finder we used before (bleach's linkify)
matched a backtracking regular expression at every position, so a text like ``"a-" * 2000``
cost it about 0.4 s of the event loop, during which no other chat moved. This finder never
looks at a character more than a fixed number of times:

* the only regular expressions are possessive runs, anchored so that a match can only begin
  at the start of a run (a failed attempt costs one lookbehind);
* every look backwards (the scheme before a host, the opening parentheses, the local part of
  an e-mail address) stops at ``floor``, the end of the previous link, or after a fixed
  number of characters.

The rules are bleach's as this server used them, with its quirks where they let a link read
as another address left out:

* a host is two or more dot-separated labels of letters, digits, ``_`` and ``-`` whose last
  label is one of ``TLDS`` (so ``www.113.nl`` and ``example.com`` are links, ``test.txt`` is
  not), or starts with one and a ``-`` (``de www.113.nl-chat``: the host ends at the ``-``);
  a host right after a ``.`` or an invisible character (``goo\\u200bgle.com``) is none;
* an optional ``http://`` or ``https://`` before it (a host without one links to ``http://``);
  another scheme bleach knew (``ftp:``, ``javascript:`` ...) makes the whole address text;
* an optional port, then a path or query starting with ``/`` or ``?`` that runs to the next
  space or character that is unsafe in an address (``<>"{}|\\^```); trailing ``.`` and ``,``
  and unbalanced ``)`` are left out, as are parentheses around the whole address;
* an e-mail address is a local part of ASCII letters, digits and ``.!#$%*+=?_~-``, an ``@``
  and a host of ASCII labels (no leading or trailing ``-``) ending in one of ``TLDS``; a local
  part right after ``/`` is a URL's user name and stays text; ``mailto:`` before it belongs
  to the link.

Differences from bleach, all on purpose: a path stops at ``<``, ``>`` and ``"`` (bleach saw
them escaped, as ``&lt;``, and ran on); an e-mail host ends with a whole TLD (``jan@x.nlx``
is no link); ``user@host`` after ``/`` is no mail link.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

# bleach 6's list, kept as it was so the same words become links as before
_TLD_LIST = """ac ad ae aero af ag ai al am an ao aq ar arpa as asia at au aw ax az
    ba bb bd be bf bg bh bi biz bj bm bn bo br bs bt bv bw by bz ca cat
    cc cd cf cg ch ci ck cl cm cn co com coop cr cu cv cx cy cz de dj dk
    dm do dz ec edu ee eg er es et eu fi fj fk fm fo fr ga gb gd ge gf gg
    gh gi gl gm gn gov gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il
    im in info int io iq ir is it je jm jo jobs jp ke kg kh ki km kn kp
    kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mil mk
    ml mm mn mo mobi mp mq mr ms mt mu museum mv mw mx my mz na name nc ne
    net nf ng ni nl no np nr nu nz om org pa pe pf pg ph pk pl pm pn post
    pr pro ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl
    sm sn so sr ss st su sv sx sy sz tc td tel tf tg th tj tk tl tm tn to
    tp tr travel tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws
    xn xxx ye yt yu za zm zw"""
TLDS = frozenset(_TLD_LIST.split())

# the schemes bleach recognised; of these only http and https make a link, the others text
SCHEMES = frozenset({
    "afs", "aim", "callto", "data", "ed2k", "feed", "ftp", "gopher", "http", "https", "irc",
    "mailto", "news", "nntp", "rsync", "rtsp", "sftp", "ssh", "tag", "telnet", "urn", "webcal",
    "xmpp",
})  # fmt: skip
WEB_SCHEMES = frozenset({"http", "https"})
_LONGEST_SCHEME = max(len(s) for s in SCHEMES)
# RFC 5322's atext without what bleach never took ("&" and "'" reached it as entities) and
# without what ends an address here ("/" of a URL, and "^`{|}")
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%*+=?_~-")

# labels separated by single dots, only from the start of a run: linear, never backtracking
_LABELS = re.compile(r"(?<![\w-])[\w-]++(?:\.[\w-]++)++")
# where an address ends: white space or a character RFC 3986 calls unsafe
_ADDRESS_END = re.compile(r"[\s<>\"{}|\\^`]")
_MAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


@dataclass(frozen=True)
class Link:
    """``text[start:end]`` is shown as a link to ``href``."""

    start: int
    end: int
    href: str


def hidden(text: str) -> bool:
    """Does ``text`` hold a character that is not shown but changes what is shown?"""
    return any(unicodedata.category(char) in ("Cc", "Cf") for char in text)


def _disguise_before(text: str, at: int, floor: int) -> bool:
    """Is the character before ``at`` an invisible one glued to the address (not a space)?"""
    return at > floor and hidden(text[at - 1]) and not text[at - 1].isspace()


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def find_links(text: str) -> list[Link]:
    """Every link in ``text``, in order, not overlapping.

    E-mail addresses are found first (as bleach did): in "jan.de-vries@x.nl" the local part
    is not a web address "jan.de". Then the web addresses, in one pass over the runs of
    dotted labels; whichever address starts first wins where they overlap.
    """
    mails = _mails(text)
    links: list[Link] = []
    floor = 0  # nothing before this may become part of a link (the previous one ends here)
    pos = 0  # where to look for the next run of dotted labels
    k = 0  # the next e-mail address
    while True:
        while k < len(mails) and mails[k][0] < floor:
            k += 1  # inside a web address's path: part of that address
        match = _LABELS.search(text, pos)
        if k < len(mails) and (match is None or mails[k][0] < match.end()):
            _start, stop, link = mails[k]
            k += 1
        elif match is None:
            return links
        else:
            link, web_stop = _web(text, floor, *match.span())
            if web_stop is None:  # no address in this run: look on after it
                pos = match.end()
                continue
            stop = web_stop
        if link is not None:
            links.append(link)
        pos = floor = stop


def _host_end(text: str, start: int, end: int) -> int | None:
    """Where the host in the dotted labels ``text[start:end]`` ends, if it has a known TLD.

    The last label is the TLD, or begins with one and a ``-``: in "de www.113.nl-chat" a
    Dutch compound is glued on with a hyphen, and the host ends before it.
    """
    dot = text.rindex(".", start, end)
    tld = text[dot + 1 : end]
    if tld.lower() in TLDS:
        return end
    tld = tld.partition("-")[0]
    return dot + 1 + len(tld) if tld.lower() in TLDS else None


def _mail_host_end(text: str, start: int, end: int) -> int | None:
    """As :func:`_host_end`, for the host of an e-mail address: ASCII labels only."""
    host_end = _host_end(text, start, end)
    if host_end is None:
        return None
    labels = text[start:host_end].split(".")
    return host_end if all(_MAIL_LABEL.fullmatch(label) for label in labels) else None


def _mails(text: str) -> list[tuple[int, int, Link | None]]:
    """Every e-mail address as ``(start, end, link)``; ``link`` is None for one that must
    stay text (a URL's user name). Each look back stops at the previous ``@``: linear."""
    found: list[tuple[int, int, Link | None]] = []
    floor = 0
    at = text.find("@")
    while at >= 0:
        match = _LABELS.match(text, at + 1)
        host_end = _mail_host_end(text, *match.span()) if match else None
        if host_end is not None:
            mail = _mail(text, floor, at, host_end)
            if mail is not None:
                found.append(mail)
                floor = host_end
        floor = max(floor, at + 1)
        at = text.find("@", floor)
    return found


def _mail(text: str, floor: int, at: int, end: int) -> tuple[int, int, Link | None] | None:
    """The address with its ``@`` at ``at`` and its host ending at ``end``, if its local
    part (not reaching back before ``floor``) is a dot-atom."""
    local_start = at
    while local_start > floor and text[local_start - 1] in _ATEXT:
        local_start -= 1
    local = text[local_start:at]
    # a dot-atom: no empty part, so begin after the last ".." or leading dots
    cut = local.rfind("..")
    if cut >= 0:
        local_start += cut + 2
        local = local[cut + 2 :]
    while local.startswith("."):
        local_start += 1
        local = local[1:]
    if not local or local.endswith("."):
        return None
    if local_start > floor and text[local_start - 1] == "/":
        return local_start, end, None  # a URL's user name ("http://jan@x.nl"): text
    if _disguise_before(text, local_start, floor):
        return local_start, end, None
    start = local_start
    if local_start - 7 >= floor and text[local_start - 7 : local_start].lower() == "mailto:":
        start -= 7
    return start, end, Link(start, end, f"mailto:{quote(local)}@{text[at + 1 : end]}")


def _scheme_before(text: str, floor: int, at: int) -> tuple[str, int, int] | None:
    """``(scheme, start, slashes)`` if ``text[:at]`` ends with a known scheme, ``:`` and up
    to three slashes; the scheme is a whole word, not after ``@`` or ``.`` (as bleach)."""
    i = at
    while i > floor and at - i < 3 and text[i - 1] == "/":
        i -= 1
    slashes = at - i
    if i <= floor or text[i - 1] != ":":
        return None
    colon = i - 1
    i = colon
    while i > floor and colon - i <= _LONGEST_SCHEME and _is_word(text[i - 1]):
        i -= 1
    word = text[i:colon].lower()
    if colon - i > _LONGEST_SCHEME or word not in SCHEMES:
        return None
    if i > floor and text[i - 1] in "@.":
        return None
    return word, i, slashes


def _web(text: str, floor: int, start: int, end: int) -> tuple[Link | None, int | None]:
    """A web address whose host is within ``text[start:end]``, a run of dotted labels."""
    while text[start] == "-":  # a host begins with a letter or digit (or "_", as bleach)
        start += 1
    if text[start] == "." or (start > floor and text[start - 1] in "@."):
        return None, None
    host_end = _host_end(text, start, end)
    if host_end is None:
        return None, None
    stop = _after_host(text, host_end)
    scheme = _scheme_before(text, floor, start)
    link_start = start if scheme is None else scheme[1]
    if scheme is not None and (scheme[0] not in WEB_SCHEMES or scheme[2] < 2):
        return None, stop  # another scheme (ftp:, javascript:) or "http:/": all of it is text
    if _disguise_before(text, link_start, floor):
        return None, stop  # "goo\u200bgle.com" would read as google.com
    if link_start > floor and text[link_start - 1] in "@.":
        return None, stop
    opens = 0
    while link_start - opens > floor and text[link_start - 1 - opens] == "(":
        opens += 1
    fragment_end = _trim(text, link_start, stop, opens)
    fragment = text[link_start:fragment_end]
    if hidden(fragment):
        return None, stop
    # "HTTPS://X.NL" opens as https://X.NL: the scheme in lower case, as a browser has it
    href = f"http://{fragment}" if scheme is None else scheme[0] + fragment[len(scheme[0]) :]
    return Link(link_start, fragment_end, href), stop


def _after_host(text: str, end: int) -> int:
    """Where the address that has its host end at ``end`` ends: past its port and path."""
    n = len(text)
    if end + 1 < n and text[end] == ":" and text[end + 1].isascii() and text[end + 1].isdigit():
        j = end + 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
        if j == n or not _is_word(text[j]):
            end = j
    if end < n and text[end] in "/?":
        found = _ADDRESS_END.search(text, end)
        return found.start() if found else n
    return end


def _trim(text: str, start: int, end: int, opens: int) -> int:
    """Leave out what a sentence adds around an address: "(see x.nl/a)." -> "x.nl/a".

    As bleach: each ``(`` right before the address takes one ``)`` off its end; then a
    trailing ``.`` or ``,``, and a ``)`` when the address holds no ``(``, are punctuation.
    """
    while opens and end > start and text[end - 1] == ")":
        end -= 1
        opens -= 1
    has_open = "(" in text[start:end]
    while end > start:
        last = text[end - 1]
        if last in ".," or (last == ")" and not has_open):
            end -= 1
        else:
            break
    return end
