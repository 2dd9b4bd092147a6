"""Redaction of contact details from stored transcripts (an option per line).

A visitor in crisis sometimes types their phone number, e-mail address, bank account or postal
code, hoping to be called back. The live conversation shows it unchanged (the volunteer may need
it right now), but a line may choose that the *stored* transcript keeps only a placeholder, so a
copy of the database identifies nobody. :func:`redact` is that transformation.

Choices, and why:

* **Placeholders** are the fixed tokens :data:`PHONE`, :data:`EMAIL`, :data:`IBAN` and
  :data:`POSTCODE` (``[phone]``, ``[e-mail]``, ``[IBAN]``, ``[postcode]``). They are
  language-neutral on purpose: a transcript is read by volunteers of any language and the words
  are understood in Dutch, French and English alike; a console may translate the tokens.
* **Precision over recall where the two collide.** Losing a date or an amount from a transcript
  makes it harder to read back what happened to someone; so times (``14:30``, ``9.15 uur``),
  amounts (``€ 1.234,56``, ``1234 euro``, ``250,-``), dates (``12-11-2026``, ``2026-11-23``,
  ``12/11``), years and short numbers are never touched. Emergency and helpline short numbers
  (112, 113, 14 020) are not personal and are kept; a full service number such as
  ``0800-0113`` has the shape of a phone number and is redacted like one (harmless: it is public).
* **Phone numbers** are recognised by shape and digit count, not by an exhaustive list of
  formats: a national number starts with ``0`` and has 9 (Belgium) or 10 (Netherlands, Belgian
  mobiles) digits; 0800/0900/0906/0909 service numbers have 4 to 7 digits after the prefix; an
  international number starts with ``+`` or ``00`` (``+31`` must have 9 national digits, ``+32``
  8 or 9, other countries 8 to 15 digits in all). Groups may be separated by spaces, ``-``,
  ``.`` or ``/`` and the area code may be in parentheses (``+31 (0)20 ...``). Any other long
  number that happens to fit (a customer number starting with 0) is redacted too: acceptable.
* **IBANs** must pass the mod-97 checksum and have their country's length (or, for a country
  not in :data:`IBAN_LENGTHS`, 15 to 34 characters), so a reference number that merely looks
  like one is kept. Something IBAN-shaped that fails the checksum is left alone as a whole, so
  its digits are not mistaken for a phone number either.
* **Postal codes**: Dutch ones (``1234 AB``, ``1234AB``) are distinctive and are redacted when
  written with capitals (a lower-case ``2024 en`` is a year followed by "and"). Belgian postal
  codes are just four digits, indistinguishable from a year or an amount, so they are redacted
  only where the text says it is a postal code (``postcode 9000``, ``code postal 1000``,
  ``postnummer``, ``PLZ``, ``zip``) or in an address shape: a house number and a comma before
  it and a capitalised place name after it (``Kerkstraat 12, 9000 Gent``). Lower-case Dutch
  codes are redacted after such a keyword too. A Belgian code written any other way is kept.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import NamedTuple

PHONE = "[phone]"
EMAIL = "[e-mail]"
IBAN = "[IBAN]"
POSTCODE = "[postcode]"

# Lengths of the IBANs of the countries a Dutch or Belgian helpline's visitors are likely to
# have (SEPA). A country outside this table is accepted on its checksum alone.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "TR": 26,
}  # fmt: skip

SERVICE_PREFIXES = ("0800", "0900", "0906", "0909")


class _Span(NamedTuple):
    """A stretch of the text that a detector claims: replaced, or (``None``) kept as it is."""

    start: int
    end: int
    placeholder: str | None


# ------------------------------------------------------------------------------ e-mail
# Also the common spam-proof spellings "naam [at] example [dot] nl" / "naam(at)example.nl".
_AT = r"(?:@|\s?[\[(]at[\])]\s?)"
_DOT = r"(?:\.|\s?[\[(]dot[\])]\s?)"
_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]"  # what the part before the @ may hold
_EMAIL = re.compile(
    rf"(?<!{_LOCAL}){_LOCAL}+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[A-Za-z]{{2,}}\b",
    re.IGNORECASE,
)


def _emails(text: str) -> Iterator[_Span]:
    for match in _EMAIL.finditer(text):
        yield _Span(match.start(), match.end(), EMAIL)


# ------------------------------------------------------------------------------ IBAN
# Country, check digits, then 11 to 30 letters or digits, optionally in groups with spaces.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \u00a0]?[A-Za-z0-9]){11,30}")


def iban_valid(candidate: str) -> bool:
    """ISO 13616 check: move the first four characters to the end, letters to numbers,
    and the result modulo 97 must be 1."""
    compact = candidate.replace(" ", "").replace("\u00a0", "").upper()
    if not compact.isalnum() or not compact.isascii() or not 15 <= len(compact) <= 34:
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _ibans(text: str) -> Iterator[_Span]:
    """Valid IBANs are replaced; IBAN-shaped text of a known country that fails the checksum
    is claimed as kept, so no later detector takes pieces of it."""
    for match in _IBAN.finditer(text):
        start = match.start()
        # every place where the candidate could end: after a character followed by a
        # non-alphanumeric (a space, punctuation or the end of the text)
        ends = [
            i + 1
            for i in range(start, match.end())
            if text[i].isalnum() and (i + 1 == len(text) or not text[i + 1].isalnum())
        ]
        country = text[start : start + 2].upper()
        expected = IBAN_LENGTHS.get(country)
        for end in reversed(ends):  # the longest valid reading wins
            piece = text[start:end]
            length = sum(char.isalnum() for char in piece)
            if expected is not None and length != expected:
                continue
            if iban_valid(piece):
                yield _Span(start, end, IBAN)
                break
            if expected is not None:
                yield _Span(start, end, None)
                break


# ------------------------------------------------------------------------------ dates
# Claimed as kept before phone numbers are looked for: "02-11-2026 12" must not become a phone.
_DATE = re.compile(r"(?<![\d.\-/])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?![\d])")


def _dates(text: str) -> Iterator[_Span]:
    for match in _DATE.finditer(text):
        day, month = int(match.group(1)), int(match.group(2))
        if 1 <= day <= 31 and 1 <= month <= 12:
            yield _Span(match.start(), match.end(), None)


# ------------------------------------------------------------------------------ phone numbers
# A run of digit groups starting with "+" or "0", with at most one separator between groups.
# Bounded to 9 groups so scanning stays linear even for a message made of digits.
_SEPARATOR = r"(?:[ \u00a0]?[-./][ \u00a0]?|[ \u00a0])"
_PHONE = re.compile(
    rf"(?<![\w@+])(?:\+|(?=\(?0))\(?\d+\)?(?:(?:{_SEPARATOR}|(?<=\))|(?=\())\(?\d+\)?){{0,8}}"
)
_GROUP = re.compile(r"\d+")


def _phone_digits_valid(digits: str, international: bool, service: bool) -> bool:
    """Does this digit count make a phone number? ``service``: 0800/0900 written as such."""
    if international:
        if digits.startswith("31"):
            return len(digits) == 11
        if digits.startswith("32"):
            return len(digits) in (10, 11)
        return 8 <= len(digits) <= 15 and not digits.startswith("0")
    if not digits.startswith("0") or digits.startswith("00"):
        return False
    if service:
        return 8 <= len(digits) <= 11
    return len(digits) in (9, 10)


def _phone_end(text: str, start: int, end: int) -> int | None:
    """Where the phone number starting at ``start`` ends (the longest valid reading of the
    candidate ``text[start:end]``), or ``None`` if no reading is a phone number.

    Reading group by group and keeping the longest valid prefix means a number followed by
    other figures ("bel 06 12345678 10 keer") still counts, and the figures stay.
    """
    candidate = text[start:end]
    international = candidate.startswith("+") or candidate.lstrip("(").startswith("00")
    groups: list[tuple[str, int]] = []  # (digits, end offset in candidate)
    for group in _GROUP.finditer(candidate):
        value = group.group()
        closing = candidate[group.end() : group.end() + 1] == ")"
        if international and value == "0" and closing and groups:
            continue  # the "(0)" some write after the country code is not dialled from abroad
        if international and not groups and not candidate.startswith("+"):
            value = value.removeprefix("00")  # "0031 6 ..." counts like "+31 6 ..."
            if not value:
                continue
        groups.append((value, group.end() + (1 if closing else 0)))
    # "09.00-17.00" is a time range: a service number is written 0800 or 0900 in one go
    service = not international and bool(groups) and groups[0][0].startswith(SERVICE_PREFIXES)
    digits = ""
    best: int | None = None
    for index, (value, offset) in enumerate(groups):
        if len(value) == 1 and not (international and index <= 1):
            break  # "0 1 2 3 ..." is a list of figures, not a phone number
        digits += value
        stop = start + offset
        if (
            _phone_digits_valid(digits, international, service)
            and not text[stop : stop + 1].isalnum()
        ):
            best = stop
    return best


def _phones(text: str) -> Iterator[_Span]:
    position = 0
    while True:
        match = _PHONE.search(text, position)
        if match is None:
            return
        end = _phone_end(text, match.start(), match.end())
        if end is None:
            position = match.start() + 1
            continue
        yield _Span(match.start(), end, PHONE)
        position = end


# ------------------------------------------------------------------------------ postal codes
# Dutch: 1000-9999, a space or not, two capitals; SA, SD and SS are never issued.
_DUTCH_POSTCODE = re.compile(r"(?<![\w,.])[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}(?![\w])")
# Any case after a word that says "postal code": Belgian four digits, Dutch "1234 ab".
_KEYWORD_POSTCODE = re.compile(
    r"\b(?:post(?:code|nummer)|postal\s+code|code\s+postal|zip(?:\s*code)?|plz)"
    r"\s*(?:is|:)?\s*([1-9]\d{3}(?:\s?[A-Za-z]{2})?)(?![\w])",
    re.IGNORECASE,
)
# Belgian in an address: "Kerkstraat 12, 9000 Gent", "Rue Neuve 5 bus 3, 1000 Bruxelles".
_ADDRESS_POSTCODE = re.compile(
    r"(?<=\d)[A-Za-z]?(?:\s*(?:bus|bte|/)\s*\d+)?,\s*([1-9]\d{3})\s+"
    r"(?!Euro\b|EUR\b)(?=[A-ZÀ-Ý][a-zà-ÿ'-]+)"
)


def _postcodes(text: str) -> Iterator[_Span]:
    for match in _KEYWORD_POSTCODE.finditer(text):
        yield _Span(match.start(1), match.end(1), POSTCODE)
    for match in _DUTCH_POSTCODE.finditer(text):
        yield _Span(match.start(), match.end(), POSTCODE)
    for match in _ADDRESS_POSTCODE.finditer(text):
        yield _Span(match.start(1), match.end(1), POSTCODE)


# ------------------------------------------------------------------------------ redact
# Order matters: an e-mail address may contain digits, an IBAN holds phone-like digit runs,
# and a date must be claimed as kept before its digits can be read as a phone number.
_DETECTORS = (_emails, _ibans, _dates, _phones, _postcodes)


def redact(text: str) -> str:
    """``text`` with phone numbers, e-mail addresses, IBANs and postal codes replaced by
    placeholders; everything else, including whitespace, exactly as it was.

    The claimed spans are kept in order, so whether a new one overlaps is a look at its two
    neighbours: a message full of postal codes costs time linear in its length, not in the
    square of their number.
    """
    claimed: list[_Span] = []  # disjoint, in order of start
    for detector in _DETECTORS:
        for span in detector(text):
            at = bisect.bisect_left(claimed, span.start, key=lambda c: c.start)
            if at > 0 and claimed[at - 1].end > span.start:
                continue
            if at < len(claimed) and claimed[at].start < span.end:
                continue
            claimed.insert(at, span)
    parts: list[str] = []
    position = 0
    for span in claimed:
        if span.placeholder is None:
            continue
        parts.append(text[position : span.start])
        parts.append(span.placeholder)
        position = span.end
    parts.append(text[position:])
    return "".join(parts)
