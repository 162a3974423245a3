"""Printed email headers and record dates found in page text."""

from __future__ import annotations

import pytest

from archive.foia import dates, email_headers

OUTLOOK = """Get Outlook for iOS
From: Yanfeng MAO <(b)(6)>
Sent: Thursday, April 7, 2022 9:30:59 PM
To: Silva, Sathya <(b)(6)>
Cc: Lin Hang <(b)(6)>;
  Mao Yan <(b)(6)>
Subject: RE: Operational Factors

Dear Sathya,
From the meeting today we learned a lot.
"""

EXCHANGE = """From: Silva, Sathya </O=EXCHANGELABS/OU=EXCHANGE ADMINISTRATIVE GROUP
To: Hilldrup Frank /o=ExchangeLabs/ou=Exchange Administrative Group
Subject: FW: Wall Street journal article
Date: 2022/05/17 15:47:00
Priority: Normal
Type: Note
"""

GMAIL = """Gmail - Hennepin County ADC release
Hennepin County ADC release
1 message
Jane Doe <jane.doe@example.gov>                      Tue, Mar 21, 2017 at 10:47 AM
To: John Roe <john.roe@example.gov>
"""

MEMO = """BUREAU OF ORGANIZED CRIME                21 November 2012
TO:      Nicholas J. Roti
FROM:    Kenneth Angarone
SUBJECT: ENTERPRISE LEASED VEHICLES - DECEMBER 2012
"""


def test_outlook_block() -> None:
    found = email_headers.find(OUTLOOK)
    assert found == {"from": "Yanfeng MAO <(b)(6)>", "to": "Silva, Sathya <(b)(6)>",
                     "cc": "Lin Hang <(b)(6)>; Mao Yan <(b)(6)>",
                     "subject": "RE: Operational Factors", "date": "2022-04-07"}


def test_exchange_table_with_date_line() -> None:
    found = email_headers.find(EXCHANGE)
    assert found is not None
    assert found["subject"] == "FW: Wall Street journal article"
    assert found["date"] == "2022-05-17"
    assert found["from"].startswith("Silva, Sathya")
    assert found["to"].startswith("Hilldrup Frank")  # Priority: ends the To value


def test_first_block_wins_on_a_printed_thread() -> None:
    found = email_headers.find(EXCHANGE + "\n\n" + OUTLOOK)
    assert found is not None and found["subject"] == "FW: Wall Street journal article"


def test_gmail_print_layout() -> None:
    found = email_headers.find(GMAIL)
    assert found is not None
    assert found["from"] == "Jane Doe <jane.doe@example.gov>"
    assert found["to"] == "John Roe <john.roe@example.gov>"
    assert found["subject"] == "Hennepin County ADC release"
    assert found["date"] == "2017-03-21"


def test_a_memo_is_not_an_email_but_has_a_date() -> None:
    assert email_headers.find(MEMO) is None
    assert dates.letter_date(MEMO) == "2012-11-21"


@pytest.mark.parametrize(("text", "iso"), [
    ("Thursday, March 21, 2024 7:41:57 AM", "2024-03-21"),
    ("2024/03/21 08:01:11", "2024-03-21"),
    ("Tue 3/21/2017 10:47 AM", "2017-03-21"),
    ("21 March 2017", "2017-03-21"),
    ("Mon, 20 Mar 2017 10:47:00 -0500", "2017-03-20"),
    ("Sept. 5, 2019", "2019-09-05"),
    ("发送时间: 2022年4月8日 19:06", "2022-04-08"),
    ("3/21/17", "2017-03-21"),
    ("13/45/2019", None),
    ("Room 1/2/3", None),
])
def test_dates(text: str, iso: str | None) -> None:
    assert dates.parse(text) == iso


def test_letter_date_only_near_the_top_and_not_in_prose() -> None:
    assert dates.letter_date("December 22, 2015\n\nFreddy Martinez\n") == "2015-12-22"
    assert dates.letter_date("Law Offices          December 8, 2014\n") == "2014-12-08"
    assert dates.letter_date("We wrote to you on December 8, 2014\n") is None
    assert dates.letter_date("April [blacked out], 2026\n") is None
    assert dates.letter_date("\n".join(["line"] * 20 + ["March 5, 2020"])) is None
    assert dates.is_iso("2020-02-29") and not dates.is_iso("2019-02-29")
