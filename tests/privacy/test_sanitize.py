"""No markup a visitor or volunteer types ever reaches another person's screen as markup.

The ``html`` field of every message comes from ``to_html``, and the widget and console put it
into the page as HTML. These tests feed it a corpus of known XSS payloads and check the output
with a real HTML parser: the only element that may come out is a plain link to an http, https
or mailto address that opens in a new tab without referrer, and the text a person reads is
exactly the text that was typed.
"""

from __future__ import annotations

import gc
import html
import re
import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatserver.privacy.sanitize import to_html

SAFE_REL = "noopener noreferrer nofollow"
ANCHOR = re.compile(r"</?a\b[^>]*>")

PAYLOADS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<script/x>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    # javascript:, data: and vbscript: URLs, mixed case and entity-encoded
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "jav&#x0A;ascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;&#x61;&#x76;&#x61;script:alert(1)",
    "javas&#99;ript:alert(1)",
    "&#0000106&#0000097&#0000118&#0000097script:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    "<a href=JaVaScRiPt:alert(1)>click</a>",
    "javascript:alert(1)//example.com",
    "javascript:alert(1)//http://example.com",
    "javascript://example.com/%0Aalert(1)",
    "vbscript:msgbox(1)",
    "VBScript:MsgBox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<iframe src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "http://example.com/javascript:alert(1)",
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">click</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">click</math>',
    # malformed and nested entities
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;",
    "&lt &gt &#60 &#x3c &#x3C;script&#x3E;",
    "&#1114112; &#xD800; &#0; &#99999999; &#x110000;",
    "x&y;z &amp &nosuchentity;",
    "&lt;img src=x onerror=alert(1)&gt;",
    # unicode tricks
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",
    "\u202e<script>alert(1)</script>",
    "https://evil.example.com/\u202emoc.elgoog",
    "goo\u200bgle.com",
    "\ufeff<script>alert(1)</script>",
    "<scr\u0131pt>alert(1)</scr\u0131pt>",
    "\u2028<img src=x onerror=alert(1)>\u2029",
    "\U0001f600<b>\U0001f600</b>",
    # nested quotes and breaking out of attributes
    '"><img src=x onerror=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    "\"'><script>alert(1)</script>",
    "'';!--\"<XSS>=&{()}",
    '<img """><script>alert(1)</script>">',
    '<a title="a\'b"c>x</a>',
    # links in the text
    "https://example.com",
    'http://example.com/"><script>alert(1)</script>',
    'http://x.com/"onmouseover="alert(1)',
    "http://x.com/'onmouseover='alert(1)",
    'https://example.com/#"onmouseover=alert(1)',
    "http://example.com/?q=<script>alert(1)</script>",
    'www.example.com/"onclick=alert(1)',
    "example.com",
    "https://example.com/?a=1&b=2&lt=3",
    "mailto:jan@example.com",
    "jan@example.com",
    "mailto:jan@example.com?subject=<script>alert(1)</script>",
    'jan@example.com"><img src=x onerror=alert(1)>',
    "Kijk op https://www.113.nl <img src=x onerror=alert(1)>",
    # markdown-style links
    "[click](javascript:alert(1))",
    "[click](http://example.com)",
    '[click](http://example.com "title")',
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<http://example.com>",
    # CSS
    '<div style="width: expression(alert(1))">x</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<p style=\"background:url('javascript:alert(1)')\">x</p>",
    # comments, CDATA, doctype, processing instructions
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!DOCTYPE html><html><body>x</body></html>",
    '<?xml version="1.0"?><x/>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    # template injection: shown, never evaluated
    "{{7*7}}",
    "{{constructor.constructor('alert(1)')()}}",
    "${7*7}",
    "<%= 7*7 %>",
    "#{7*7}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
]


class _Elements(HTMLParser):
    """Every tag, attribute and other markup construct in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.ends: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.other.append(f"self-closing <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"unknown declaration {data!r}")


def assert_only_safe_links(output: str) -> None:
    """The output's only markup is ``<a href rel target>`` with a harmless address."""
    parsed = _Elements()
    parsed.feed(output)
    parsed.close()
    assert parsed.other == [], output
    assert all(tag == "a" for tag in parsed.ends), output
    assert len(parsed.ends) == len(parsed.starts), output
    for tag, attrs in parsed.starts:
        assert tag == "a", output
        assert set(attrs) == {"href", "rel", "target"}, output
        assert attrs["rel"] == SAFE_REL and attrs["target"] == "_blank", output
        href = attrs["href"] or ""
        assert urlsplit(href).scheme in ("http", "https", "mailto"), output
        assert href.startswith(("http://", "https://", "mailto:")), output
        assert not href.lower().lstrip().startswith(("javascript:", "data:", "vbscript:"))
        assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in href)
    # outside the anchors' own tags not one "<" or ">" is left unescaped
    rest = ANCHOR.sub("", output)
    assert "<" not in rest and ">" not in rest, output


def shown_text(output: str) -> str:
    """What a reader sees: the text with the link tags removed and entities decoded."""
    return html.unescape(ANCHOR.sub("", output))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_as_markup(payload: str) -> None:
    """An attack typed into the chat is shown as the text it is and runs nowhere."""
    output = to_html(payload)
    assert_only_safe_links(output)
    assert shown_text(output) == payload


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("https://www.113.nl", "https://www.113.nl"),
        ("kijk op http://example.com/hulp?a=1&b=2 nu", "http://example.com/hulp?a=1&b=2"),
        ("www.example.com", "http://www.example.com"),
        ("mail jan@example.com", "mailto:jan@example.com"),
    ],
)
def test_plain_web_and_mail_addresses_become_safe_links(text: str, href: str) -> None:
    """Addresses people share stay clickable, opening in a new tab with no referrer."""
    output = to_html(text)
    parsed = _Elements()
    parsed.feed(output)
    assert parsed.starts == [("a", {"href": href, "rel": SAFE_REL, "target": "_blank"})]
    assert shown_text(output) == text


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "vbscript:msgbox(1)",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "[x](javascript:alert(1))",
        "https://evil.example.com/\u202emoc.elgoog",
        "http://example.com/a\u200bb",
    ],
)
def test_other_schemes_and_disguised_links_stay_text(text: str) -> None:
    """Only http, https and mailto become links; a link with hidden characters stays text."""
    output = to_html(text)
    assert "<a" not in output
    assert html.unescape(output) == text


def test_line_endings_and_nul_are_normalised_like_a_browser_does() -> None:
    """The HTML carries CR and CRLF as LF and drops NUL, as any HTML parser would; the stored
    plain text keeps them (only the ``html`` field is affected)."""
    assert to_html("a\r\nb\rc") == "a\nb\nc"
    assert to_html("nul\x00byte") == "nulbyte"


MARKUP_ALPHABET = st.sampled_from(
    [*"<>&;\"'=/:#!?-() \t\nabcsvgimxt01", "script", "javascript:", "http://", "&#", "on"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(MARKUP_ALPHABET, max_size=40).map("".join))
def test_any_text_stays_text(text: str) -> None:
    """Whatever mix of markup characters is typed, only safe links come out and the text a
    reader sees is exactly what was typed."""
    output = to_html(text)
    assert_only_safe_links(output)
    assert shown_text(output) == text


def _anchors(output: str) -> list[tuple[str, str]]:
    """Each link as (the address it opens, the text it shows)."""
    return [
        (html.unescape(href), html.unescape(text))
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', output)
    ]


@pytest.mark.parametrize(
    ("text", "links"),
    [
        # what bleach's linkify made links, and still does
        ("Bel 113 of kijk op www.113.nl.", [("http://www.113.nl", "www.113.nl")]),
        ("(zie www.113.nl)", [("http://www.113.nl", "www.113.nl")]),
        ("zie https://x.nl/a_(b)) nu", [("https://x.nl/a_(b))", "https://x.nl/a_(b))")]),
        ("https://x.nl/a, en", [("https://x.nl/a", "https://x.nl/a")]),
        ("http://x.nl:8080/a?b=c", [("http://x.nl:8080/a?b=c", "http://x.nl:8080/a?b=c")]),
        ("x.nl:80a", [("http://x.nl", "x.nl")]),
        ("HTTPS://X.NL", [("https://X.NL", "HTTPS://X.NL")]),
        ("https://x.nl#top", [("https://x.nl", "https://x.nl")]),
        ("münchen.de", [("http://münchen.de", "münchen.de")]),
        ("a.co.uk en b.com.", [("http://a.co.uk", "a.co.uk"), ("http://b.com", "b.com")]),
        ("zie:www.x.nl", [("http://www.x.nl", "www.x.nl")]),
        (
            "\"www.x.nl\" en 'www.y.nl'",
            [("http://www.x.nl", "www.x.nl"), ("http://www.y.nl", "www.y.nl")],
        ),
        (
            "jan.de-vries+chat@mail.example.co.uk!",
            [
                (
                    "mailto:jan.de-vries%2Bchat@mail.example.co.uk",
                    "jan.de-vries+chat@mail.example.co.uk",
                )
            ],
        ),
        (
            "(jan@x.nl), piet@y.org.",
            [("mailto:jan@x.nl", "jan@x.nl"), ("mailto:piet@y.org", "piet@y.org")],
        ),
        ("jan@x.nl?subject=hoi", [("mailto:jan@x.nl", "jan@x.nl")]),
        ("de www.113.nl-chat", [("http://www.113.nl", "www.113.nl")]),
        ("test.txt, index.html, 3.14, a.b", []),
        ("ftp://x.nl/www.y.nl", []),
        ("javascript:alert(1)//x.nl", [("http://x.nl", "x.nl")]),
        ("http:/x.nl http:x.nl", []),
        ("jan.@x.nl ..x.nl", []),
        # on purpose unlike bleach: a path ends where an address may not go on ...
        ('http://x.nl/"><b>', [("http://x.nl/", "http://x.nl/")]),
        # ... "mailto:" belongs to the link, a URL's user name is no address ...
        ("mailto:jan@x.nl", [("mailto:jan@x.nl", "mailto:jan@x.nl")]),
        ("http://jan@x.nl", []),
        ("https://x.nl/a@b.nl", [("https://x.nl/a@b.nl", "https://x.nl/a@b.nl")]),
        # ... an e-mail host ends with a whole TLD, and no host hides behind a hidden character
        ("jan@x.nlx", []),
        ("goo\u200bgle.com", []),
    ],
)
def test_links_people_share_keep_their_rules(text: str, links: list[tuple[str, str]]) -> None:
    """Addresses in ordinary sentences link exactly as people expect, and as they did: the
    trailing full stop, comma or parenthesis is not part of the link, e-mail addresses open
    the mail program, and file names or numbers stay text."""
    output = to_html(text)
    assert _anchors(output) == links
    assert_only_safe_links(output)
    assert shown_text(output) == text


# texts that made bleach's linkify backtrack (or that stress each look-back of ours): a message
# of the maximum length made of them cost bleach 0.1-0.4 s, during which no other chat moved
PATHOLOGICAL = [
    "a-", "_", "a", "a.", "a@", "(", ")", "-", "!", "a.nl ", "a.nl", "jan@x.nl ", "x.nl)",
    "@a.nl", ".a@b.nl", "a.nl@", "a.nl:1", "((x.nl ", "a.nl/@", "https://a.nl/x.", "http://",
    "mailto:", "\u200b", "é",
]  # fmt: skip


def _cost(text: str) -> float:
    """The least CPU time of this thread over a few runs, with the collector paused: the work
    itself. Wall time would count whatever else runs on the machine's shared cores."""
    gc.disable()
    try:
        runs = []
        for _ in range(7):
            start = time.thread_time()
            to_html(text)
            runs.append(time.thread_time() - start)
        return min(runs)
    finally:
        gc.enable()


def test_sanitizing_costs_time_linear_in_the_length() -> None:
    """One visitor's longest messages cannot hold up every other chat: a ten times longer text
    costs about ten times as much to sanitize, never a hundred (bleach's linkify was quadratic:
    "a-" * 2000 cost it 0.4 s), and the longest message costs a few milliseconds.

    Timing on a shared machine: the ratio, not an absolute time, carries the proof (linear
    work gives about 10, quadratic about 100; the bound 30 leaves room for noise), and the
    absolute bound is twenty times what it takes here.
    """
    ratios = {}
    for unit in PATHOLOGICAL:
        short, long = (unit * 400)[:400], (unit * 4000)[:4000]
        long_cost = _cost(long)
        assert long_cost < 0.1, (unit, long_cost)
        ratios[unit] = long_cost / _cost(short)
    assert max(ratios.values()) < 30, ratios


ADDRESS_ALPHABET = st.sampled_from(
    [
        *".@/:?#()-_,;!'\"<> \n\u200b\u202eé1",
        *("www", "nl", "com", "x", "jan", "..", "//", "((", "))", ":80"),
        *("http://", "https://", "mailto:", "ftp://", "javascript:"),
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(ADDRESS_ALPHABET, max_size=30).map("".join))
def test_any_address_like_text_stays_text(text: str) -> None:
    """Whatever half-address a person types (schemes, dots, @, parentheses, hidden marks),
    only safe links come out, none of them disguised, and the text reads as typed."""
    output = to_html(text)
    assert_only_safe_links(output)
    assert shown_text(output) == text
    for href, shown in _anchors(output):
        assert not any(char in shown for char in '\u200b\u202e<>" \n'), output
        assert href.startswith(("http://", "https://", "mailto:")), output
