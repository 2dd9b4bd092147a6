"""Redaction of stored transcripts: contact details go, the story of what happened stays.

A line may choose to store transcripts without the phone numbers, e-mail addresses, IBANs and
postal codes visitors type. These tests pin down both halves of that promise: every common
Dutch and Belgian way of writing such details is replaced, and the times, amounts, dates and
figures a volunteer needs to read a transcript back are never touched.
"""

from __future__ import annotations

import time

import pytest

from chatserver.privacy.redaction import EMAIL, IBAN, PHONE, POSTCODE, iban_valid, redact

PHONES = [
    # Dutch mobile
    "06-12345678",
    "06 1234 5678",
    "0612345678",
    "06 12 34 56 78",
    "06 - 12345678",
    "+31 6 12345678",
    "+31612345678",
    "+31 (0)6 12345678",
    "+31(0)612345678",
    "0031 6 12345678",
    "0031612345678",
    # Dutch landlines and service numbers
    "020-1234567",
    "010 123 4567",
    "(020) 123 45 67",
    "(020)123 4567",
    "0111-123456",
    "+31 (0)20 123 4567",
    "+31 20 123 4567",
    "088 0767 000",
    "0800-0113",
    "0800 1234",
    "0900-1234567",
    "0900 123 45 67",
    # Belgian mobile and landlines
    "+32 470 12 34 56",
    "+32470123456",
    "0032 470 123456",
    "0470 12 34 56",
    "0470/12.34.56",
    "0470.12.34.56",
    "02 123 45 67",
    "02/123.45.67",
    "09 123 45 67",
    "050 12 34 56",
    "+32 2 123 45 67",
    # elsewhere
    "+44 20 7946 0958",
    "+49 30 12345678",
]

EMAILS = [
    "jan@example.com",
    "j.de-vries+hulp@mail.example.co.uk",
    "JAN.JANSEN@EXAMPLE.NL",
    "anoniem_123@hotmail.be",
    "naam [at] example [dot] nl",
    "naam(at)example.nl",
]

IBANS = [
    "NL91ABNA0417164300",
    "NL91 ABNA 0417 1643 00",
    "nl91abna0417164300",
    "BE68 5390 0754 7034",
    "BE68539007547034",
    "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32",
]

POSTCODES = [
    "1234 AB",
    "1234AB",
    "9999 ZZ",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_redacted(phone: str) -> None:
    """A phone number a visitor types, in any usual Dutch or Belgian notation, is not stored."""
    assert redact(phone) == PHONE
    assert redact(f"bel me op {phone} vanavond") == f"bel me op {PHONE} vanavond"
    assert redact(f"nummer: {phone}.") == f"nummer: {PHONE}."


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses_are_redacted(email: str) -> None:
    """An e-mail address, also spelled out against spam, is not stored."""
    assert redact(email) == EMAIL
    assert redact(f"mail naar {email}, graag") == f"mail naar {EMAIL}, graag"


@pytest.mark.parametrize("iban", IBANS)
def test_ibans_with_a_valid_checksum_are_redacted(iban: str) -> None:
    """A bank account number (IBAN) is not stored, compact, grouped or in lower case."""
    assert iban_valid(iban)
    assert redact(iban) == IBAN
    assert redact(f"rekening {iban} is van mij") == f"rekening {IBAN} is van mij"


@pytest.mark.parametrize("postcode", POSTCODES)
def test_dutch_postal_codes_are_redacted(postcode: str) -> None:
    """A Dutch postal code narrows an address to a street: it is not stored."""
    assert redact(postcode) == POSTCODE
    assert redact(f"Kerkstraat 1, {postcode} Amsterdam") == f"Kerkstraat 1, {POSTCODE} Amsterdam"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postcode 9000", f"postcode {POSTCODE}"),
        ("Postcode: 2000", f"Postcode: {POSTCODE}"),
        ("mijn postcode is 1234ab", f"mijn postcode is {POSTCODE}"),
        ("postnummer 3500", f"postnummer {POSTCODE}"),
        ("code postal 1000", f"code postal {POSTCODE}"),
        ("Kerkstraat 12, 9000 Gent", f"Kerkstraat 12, {POSTCODE} Gent"),
        ("Meir 4a, 2000 Antwerpen", f"Meir 4a, {POSTCODE} Antwerpen"),
        ("Rue Neuve 5 bus 3, 1000 Bruxelles", f"Rue Neuve 5 bus 3, {POSTCODE} Bruxelles"),
    ],
)
def test_belgian_postal_codes_are_redacted_where_the_text_says_so(text: str, expected: str) -> None:
    """A Belgian postal code (four bare digits) is redacted after "postcode" and the like, and
    in an address (house number, comma, code, place); elsewhere four digits are a year."""
    assert redact(text) == expected


KEPT = [
    # times
    "14:30",
    "om 9.15 uur",
    "van 09.00-17.00",
    "om 09.30 en 10.15",
    "tussen 22:00 en 02:00",
    # amounts
    "€ 1.234,56",
    "€1234,56",
    "1234 euro",
    "250,-",
    "€ 0,50",
    "1000 EUR",
    "ik heb 3, 2000 Euro schuld",
    # dates
    "12-11-2026",
    "02-11-2026",
    "02-11-2026 12 uur",
    "2026-11-23",
    "12/11",
    "01/01/2026",
    "12.11.2026",
    # years, ages and other figures
    "1990",
    "in 2024 en 2025",
    "sinds 2019 Woon ik hier",
    "ik ben 16 jaar",
    "16(17) jaar",
    "1234567890",
    "0 1 2 3 4 5 6 7 8 9",
    "versie 1.2.3",
    "50%",
    # helpline and emergency numbers: not personal
    "bel 112",
    "bel 113",
    "14 020",
    # IBAN-shaped, but the checksum fails: a reference, not an account
    "NL91ABNA0417164301",
    "NL91 ABNA 0417 1643 01",
    "BE68 5390 0754 7035",
    # an @ without an address, a Belgian code without context
    "@home en @werk",
    "jan@localhost",
    "ik woon in 9000 maar zeg niet waar",
    "1234 ab",
    # a URL without contact details stays whole
    "https://www.113.nl/hulp",
]


@pytest.mark.parametrize("text", KEPT)
def test_times_amounts_dates_and_figures_are_kept(text: str) -> None:
    """What a volunteer needs to read a transcript back (when, how much, how old) survives."""
    assert redact(text) == text


def test_a_message_with_everything_keeps_its_sentence() -> None:
    """Only the details are replaced; the rest of a real message stays word for word."""
    text = (
        "Om 14:30 op 12-11-2026 heb ik € 1.234,56 overgemaakt naar NL91 ABNA 0417 1643 00.\n"
        "Bel me op 06-12345678 of mail jan@example.com, ik woon op 1234 AB, ben 16 jaar."
    )
    assert redact(text) == (
        f"Om 14:30 op 12-11-2026 heb ik € 1.234,56 overgemaakt naar {IBAN}.\n"
        f"Bel me op {PHONE} of mail {EMAIL}, ik woon op {POSTCODE}, ben 16 jaar."
    )


def test_figures_after_a_phone_number_stay() -> None:
    """A phone number directly followed by other figures is cut at the number, not beyond."""
    assert redact("bel 06 12345678 10 keer") == f"bel {PHONE} 10 keer"
    assert redact("06-12345678/06-87654321") == f"{PHONE}/{PHONE}"


def test_iban_checksum() -> None:
    """The mod-97 checksum tells an account number from a number that merely looks like one."""
    assert iban_valid("NL91ABNA0417164300")
    assert not iban_valid("NL91ABNA0417164301")
    assert not iban_valid("NL91ABNA041716430")  # one character short for the Netherlands
    assert not iban_valid("NL91ABNA0417164300 extra")


@pytest.mark.parametrize(
    "text",
    ["a!" * 2000, "0 " * 2000, "06" * 2000, "0-" * 2000, "NL91" * 1000, "a@b." * 1000, "(0" * 2000],
)
def test_redaction_stays_fast_on_hostile_input(text: str) -> None:
    """A message built to make the patterns backtrack cannot stall the server."""
    started = time.perf_counter()
    redact(text)
    assert time.perf_counter() - started < 0.5


def test_redaction_costs_time_linear_in_the_number_of_details() -> None:
    """A message made of nothing but postal codes (hundreds of details to replace) costs ten
    times as much at ten times the length, not a hundred times; measured as this thread's
    CPU time, the least of a few runs, so other work on the shared machine does not count."""

    def cost(text: str) -> float:
        runs = []
        for _ in range(5):
            start = time.thread_time()
            redact(text)
            runs.append(time.thread_time() - start)
        return min(runs)

    for unit in ("1234 AB ", "jan@x.nl ", "06-12345678 "):
        short, long = (unit * 1000)[:1000], (unit * 10000)[:10000]
        assert cost(long) / cost(short) < 30, unit
