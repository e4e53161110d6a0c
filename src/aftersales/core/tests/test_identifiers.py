"""Tests for the identifier normalisers, validators and masks (no database needed)."""

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from aftersales.core import identifiers
from aftersales.core.identifiers import (
    birth_date_from_resident_id,
    clean_email,
    clean_mobile,
    clean_plate,
    clean_resident_id,
    clean_uscc,
    clean_vin,
    mask_address,
    mask_mobile,
    mask_name,
    mask_plate,
    mask_resident_id,
    mask_uscc,
    normalise,
    resident_id_check_char,
    uscc_check_char,
    vin_check_digit,
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # The project defaults to zh-hans; the messages are asserted in their English source form.
    with translation.override("en"):
        yield


def refusal(clean: Callable[[str], object], value: str) -> tuple[str, str | None]:
    with pytest.raises(ValidationError) as error:
        clean(value)
    assert len(error.value.messages) == 1
    return error.value.messages[0], error.value.code


# normalise ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  13812345678  ", "13812345678"),
        ("１３８ １２３４ ５６７８", "138 1234 5678"),
        ("京Ａ１２３４５", "京A12345"),
        ("\u3000ＡＢＣ\u3000", "ABC"),
        ("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", "zhang@example.com"),
        ("\u200b\ufeff138", "138"),
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


# Mobile numbers ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "0086 13812345678",
        "8613812345678",
        "１３８ １２３４ ５６７８",
        "＋８６１３８１２３４５６７８",
        "\u200b13812345678",
        "(+86)13812345678",
        "(+86) 138-1234-5678",
        "（＋８６）１３８１２３４５６７８",
    ],
)
def test_mobile_is_normalised(raw: str) -> None:
    assert clean_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    ("compact", "raw", "expected"),
    [
        (identifiers.compact_mobile, "+86 138-0013-8000", "13800138000"),
        (identifiers.compact_mobile, "(+86)13800138000", "13800138000"),
        (identifiers.compact_mobile, "0086 138 0013 8000", "13800138000"),
        (identifiers.compact_mobile, "8613800138000", "13800138000"),
        (identifiers.compact_mobile, "861380013", "861380013"),  # 86 is a prefix only before 11 digits
        (identifiers.compact_mobile, "0086", "0086"),  # alone, the last four digits of a number
        (identifiers.compact_mobile, "138-0013", "1380013"),
        (identifiers.compact_mobile, "+852 9123 4567", "+85291234567"),  # not validated: clean_mobile refuses it
        (identifiers.compact_plate, "沪A·12345", "沪A12345"),
        (identifiers.compact_plate, " 沪a - 123 45 ", "沪A12345"),
        (identifiers.compact_plate, "沪Ａ．１２３４５", "沪A12345"),
        (identifiers.compact_plate, "A•123", "A123"),
        (identifiers.compact_vin, "ｌｓｖａａ４１８０ｅ２０００００１", "LSVAA4180E2000001"),
        (identifiers.compact_vin, "LSVA A418 0E20 0000 1", "LSVAA4180E2000001"),
        (identifiers.compact, " 张　三\u200b ", "张三"),
    ],
)
def test_compact_reads_a_value_as_its_cleaner_does(compact: Callable[[str], str], raw: str, expected: str) -> None:
    assert compact(raw) == expected


@pytest.mark.parametrize("raw", ["13012345678", "15912345678", "19912345678"])
def test_every_mobile_prefix_from_13_to_19_is_accepted(raw: str) -> None:
    assert clean_mobile(raw) == raw


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        ("", "Enter a mobile number.", "required"),
        ("  ", "Enter a mobile number.", "required"),
        (
            "+852 9123 4567",
            "Only mainland China mobile numbers are accepted; remove the country code or use +86.",
            "foreign_number",
        ),
        (
            "001 212 555 0100",
            "Only mainland China mobile numbers are accepted; remove the country code or use +86.",
            "foreign_number",
        ),
        ("1381234567", "A mobile number must have 11 digits; this one has 10.", "invalid_length"),
        ("138123456789", "A mobile number must have 11 digits; this one has 12.", "invalid_length"),
        ("12812345678", "A mainland China mobile number must start with 13 to 19.", "invalid_prefix"),
        ("021-12345678", "A mainland China mobile number must start with 13 to 19.", "invalid_prefix"),
        (
            "📱13812345678",
            "A mobile number may contain only digits (and a +86 prefix); “📱” is not allowed.",
            "invalid_character",
        ),
        (
            "13812345678'; DROP TABLE customers; --",
            "A mobile number may contain only digits (and a +86 prefix); “'” is not allowed.",
            "invalid_character",
        ),
        (
            "138 1234 567a",
            "A mobile number may contain only digits (and a +86 prefix); “a” is not allowed.",
            "invalid_character",
        ),
        (
            "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits are digits to Python, but not to us.
            "A mobile number may contain only digits (and a +86 prefix); “١” is not allowed.",
            "invalid_character",
        ),
        (
            "138\x0012345678",
            "A mobile number may contain only digits (and a +86 prefix); “U+0000” is not allowed.",
            "invalid_character",
        ),
    ],
)
def test_bad_mobile_is_refused(raw: str, message: str, code: str) -> None:
    assert refusal(clean_mobile, raw) == (message, code)


# Resident ID numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_17", "check"),
    [
        # Worked by hand: 167 % 11 = 2 -> "X"; 136 % 11 = 4 -> "8"; 151 % 11 = 8 -> "4".
        ("11010519491231002", "X"),
        ("11010519800101123", "8"),
        ("31010419800102123", "4"),
    ],
)
def test_resident_id_check_char(first_17: str, check: str) -> None:
    assert resident_id_check_char(first_17) == check


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100X"])
def test_resident_id_check_char_needs_17_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="exactly 17 digits"):
        resident_id_check_char(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002x ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("110105198001011238", "110105198001011238"),
        ("440306198512315675", "440306198512315675"),
        ("110105200002290013", "110105200002290013"),  # 2000 is a leap year.
        ("11010519000101001X", "11010519000101001X"),  # 1900 is the earliest year accepted.
    ],
)
def test_valid_resident_id_is_normalised(raw: str, expected: str) -> None:
    assert clean_resident_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        ("", "Enter a resident ID number.", "required"),
        ("110105194912310021", "The check digit of this resident ID number is wrong.", "invalid_check_digit"),
        ("110105198001011230", "The check digit of this resident ID number is wrong.", "invalid_check_digit"),
        (
            "110105199902300015",
            "The birth date in this resident ID number (1999-02-30) does not exist.",
            "invalid_birth_date",
        ),
        (
            "110105199902290013",
            "The birth date in this resident ID number (1999-02-29) does not exist.",
            "invalid_birth_date",
        ),
        (
            "110105299901010014",
            "The birth date in this resident ID number (2999-01-01) is in the future.",
            "future_birth_date",
        ),
        (
            "110105189912310015",
            "The birth date in this resident ID number (1899-12-31) is before 1900.",
            "birth_date_too_early",
        ),
        (
            "99010519800101001X",
            "“99” at the start of this resident ID number is not a valid province code.",
            "invalid_province",
        ),
        (
            "100105198001010014",
            "“10” at the start of this resident ID number is not a valid province code.",
            "invalid_province",
        ),
        (
            "11010519491231002",
            "A resident ID number must have 18 characters; this one has 17.",
            "invalid_length",
        ),
        (
            "11010519491231002X1",
            "A resident ID number must have 18 characters; this one has 19.",
            "invalid_length",
        ),
        (
            "110105491231002",
            "Old 15-digit resident ID numbers are not accepted; enter the 18-character number.",
            "legacy_number",
        ),
        (
            "1101051949X231002X",
            "X may only be the last character of a resident ID number.",
            "invalid_character",
        ),
        (
            "11010519491231002Y",
            "A resident ID number may contain only digits and a final X; “Y” is not allowed.",
            "invalid_character",
        ),
        (
            "110105-19491231-002X",
            "A resident ID number may contain only digits and a final X; “-” is not allowed.",
            "invalid_character",
        ),
        (
            "11010519491231002X😀",
            "A resident ID number may contain only digits and a final X; “😀” is not allowed.",
            "invalid_character",
        ),
        (
            "1' OR '1'='1",
            "A resident ID number may contain only digits and a final X; “'” is not allowed.",
            "invalid_character",
        ),
    ],
)
def test_bad_resident_id_is_refused(raw: str, message: str, code: str) -> None:
    assert refusal(clean_resident_id, raw) == (message, code)


def test_birth_date_today_is_accepted_and_tomorrow_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identifiers, "_today", lambda: date(2024, 1, 1))
    assert clean_resident_id("110105202401010014") == "110105202401010014"
    assert refusal(clean_resident_id, "11010520240102001X") == (
        "The birth date in this resident ID number (2024-01-02) is in the future.",
        "future_birth_date",
    )


@pytest.mark.parametrize(
    ("raw", "born"),
    [
        ("11010519491231002x", date(1949, 12, 31)),
        ("110105200002290013", date(2000, 2, 29)),
        ("310104198001021234", date(1980, 1, 2)),
    ],
)
def test_birth_date_from_resident_id(raw: str, born: date) -> None:
    assert birth_date_from_resident_id(raw) == born


def test_birth_date_from_invalid_resident_id_is_refused() -> None:
    assert refusal(birth_date_from_resident_id, "110105194912310021") == (
        "The check digit of this resident ID number is wrong.",
        "invalid_check_digit",
    )


# Unified social credit codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_17", "check"),
    [
        # Worked by hand: the weighted sum is 1640, 1640 % 31 = 28, 31 - 28 = 3.
        ("91350100M000100Y4", "3"),
        ("91310000MA1FL0000", "N"),
        ("12100000400000001", "0"),
    ],
)
def test_uscc_check_char(first_17: str, check: str) -> None:
    assert uscc_check_char(first_17) == check


@pytest.mark.parametrize("bad", ["91350100M000100Y", "91350100M000100I4"])
def test_uscc_check_char_needs_17_characters_of_its_alphabet(bad: str) -> None:
    with pytest.raises(ValueError, match="17 characters from its alphabet"):
        uscc_check_char(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("91350100M000100Y43", "91350100M000100Y43"),
        ("91350100m000100y43", "91350100M000100Y43"),
        (" 9135 0100 M000 100Y 43 ", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        ("91310000MA1FL0000N", "91310000MA1FL0000N"),
        ("121000004000000010", "121000004000000010"),
    ],
)
def test_valid_uscc_is_normalised(raw: str, expected: str) -> None:
    assert clean_uscc(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        ("", "Enter a unified social credit code.", "required"),
        (
            "91350100M000100Y44",
            "The check character (last character) of this unified social credit code is wrong.",
            "invalid_check_digit",
        ),
        (
            "91350100M000100Y4",
            "A unified social credit code must have 18 characters; this one has 17.",
            "invalid_length",
        ),
        (
            "91350100M000100S43",
            "A unified social credit code cannot contain the letters I, O, Z, S or V; it contains “S”.",
            "forbidden_letter",
        ),
        (
            "91350100O000100Y43",
            "A unified social credit code cannot contain the letters I, O, Z, S or V; it contains “O”.",
            "forbidden_letter",
        ),
        (
            "91350100M000100Y4-",
            "A unified social credit code may contain only digits and letters; “-” is not allowed.",
            "invalid_character",
        ),
        (
            "91350100M000100Y4😀",
            "A unified social credit code may contain only digits and letters; “😀” is not allowed.",
            "invalid_character",
        ),
    ],
)
def test_bad_uscc_is_refused(raw: str, message: str, code: str) -> None:
    assert refusal(clean_uscc, raw) == (message, code)


# VINs --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vin", "check"),
    [
        # Worked by hand: 351 % 11 = 10 -> "X" for both.
        ("1M8GDM9AXKP042788", "X"),
        ("LSVAU2180N2183294", "X"),
        ("LSVAU218?N2183294", "X"),  # The 9th character itself does not count.
        ("11111111111111111", "1"),
    ],
)
def test_vin_check_digit(vin: str, check: str) -> None:
    assert vin_check_digit(vin) == check


def test_vin_check_digit_needs_17_valid_characters() -> None:
    with pytest.raises(ValueError, match="17-character VIN"):
        vin_check_digit("1M8GDM9AXKP04278")
    with pytest.raises(ValueError, match="cannot appear in a VIN"):
        vin_check_digit("1M8GDM9AXKP0427O8")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1M8GDM9AXKP042788", "1M8GDM9AXKP042788"),
        (" 1m8gdm9axkp 042788 ", "1M8GDM9AXKP042788"),
        ("１Ｍ８ＧＤＭ９ＡＸＫＰ０４２７８８", "1M8GDM9AXKP042788"),
        ("LSVAU218XN2183294", "LSVAU218XN2183294"),
        ("11111111111111111", "11111111111111111"),
    ],
)
def test_valid_vin_is_normalised(raw: str, expected: str) -> None:
    assert clean_vin(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        ("", "Enter a VIN.", "required"),
        ("LSVAU2180N2183294", "The check digit (9th character) of this VIN is wrong.", "invalid_check_digit"),
        ("1M8GDM9A1KP042788", "The check digit (9th character) of this VIN is wrong.", "invalid_check_digit"),
        ("1M8GDM9AXKP04278", "A VIN must have 17 characters; this one has 16.", "invalid_length"),
        ("1M8GDM9AXKP0427888", "A VIN must have 17 characters; this one has 18.", "invalid_length"),
        (
            "1M8GDM9AXKPO42788",
            "A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains O.",
            "forbidden_letter",
        ),
        (
            "1m8gdm9axkp0427i8",
            "A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains I.",
            "forbidden_letter",
        ),
        (
            "QM8GDM9AXKPO4278I",
            "A VIN cannot contain the letters I, O or Q (they are confused with 1 and 0); it contains I, O, Q.",
            "forbidden_letter",
        ),
        (
            "1M8GDM9AX-KP042788",
            "A VIN may contain only digits and the letters A to Z; “-” is not allowed.",
            "invalid_character",
        ),
        (
            "1M8GDM9AXKP04278🚗",
            "A VIN may contain only digits and the letters A to Z; “🚗” is not allowed.",
            "invalid_character",
        ),
        (
            "'; DELETE FROM vehicles;",
            "A VIN may contain only digits and the letters A to Z; “'” is not allowed.",
            "invalid_character",
        ),
    ],
)
def test_bad_vin_is_refused(raw: str, message: str, code: str) -> None:
    assert refusal(clean_vin, raw) == (message, code)


def test_wrong_vin_check_digit_is_accepted_when_allowed() -> None:
    assert clean_vin("lsvau2180n2183294", allow_bad_check_digit=True) == "LSVAU2180N2183294"


def test_allowing_a_bad_check_digit_does_not_allow_anything_else() -> None:
    with pytest.raises(ValidationError) as error:
        clean_vin("1M8GDM9AXKPO42788", allow_bad_check_digit=True)
    assert error.value.code == "forbidden_letter"
    with pytest.raises(ValidationError) as error:
        clean_vin("1M8GDM9AXKP04278", allow_bad_check_digit=True)
    assert error.value.code == "invalid_length"


# Licence plates ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("沪A12345", "沪A12345"),
        ("沪a·12345", "沪A12345"),
        ("沪A•123AB", "沪A123AB"),
        ("沪A-12345", "沪A12345"),
        (" 京 A 1234 5 ", "京A12345"),
        ("京Ａ１２３４５", "京A12345"),
        ("粤B D12345", "粤BD12345"),
        ("粤B·DA1234", "粤BDA1234"),
        ("浙AF12345", "浙AF12345"),
        ("苏E12345D", "苏E12345D"),
        ("苏E·12345F", "苏E12345F"),
        ("使014578", "使014578"),
        ("沪A1234领", "沪A1234领"),
        ("京A1234警", "京A1234警"),
        ("京A·1234学", "京A1234学"),
        ("冀B1234挂", "冀B1234挂"),
        ("粤Z1234港", "粤Z1234港"),
        ("粤Z·A123澳", "粤ZA123澳"),
        ("琼A12345", "琼A12345"),
    ],
)
def test_valid_plate_is_normalised(raw: str, expected: str) -> None:
    assert clean_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        ("", "Enter a licence plate number.", "required"),
        (" · ", "Enter a licence plate number.", "required"),
        (
            "X A12345",
            "“X” is not a known province abbreviation; a plate must start with one, such as 京 or 沪.",
            "unknown_province",
        ),
        (
            "港A12345",
            "“港” is not a known province abbreviation; a plate must start with one, such as 京 or 沪.",
            "unknown_province",
        ),
        (
            "A12345",
            "“A” is not a known province abbreviation; a plate must start with one, such as 京 or 沪.",
            "unknown_province",
        ),
        (
            "沪A1234O",
            "A licence plate cannot contain the letters I or O (confused with 1 and 0); it contains O.",
            "forbidden_letter",
        ),
        (
            "沪O12345",
            "A licence plate cannot contain the letters I or O (confused with 1 and 0); it contains O.",
            "forbidden_letter",
        ),
        (
            "沪Ai23o5",
            "A licence plate cannot contain the letters I or O (confused with 1 and 0); it contains I, O.",
            "forbidden_letter",
        ),
        (
            "沪112345",
            "The province abbreviation must be followed by a letter (the issuing authority code).",
            "invalid_format",
        ),
        (
            "沪",
            "The province abbreviation must be followed by a letter (the issuing authority code).",
            "invalid_format",
        ),
        (
            "沪A1234",
            "After the province and the letter, a plate must have 5 letters or digits (6 for new-energy vehicles); "
            "this one has 4.",
            "invalid_length",
        ),
        (
            "沪A1234567",
            "After the province and the letter, a plate must have 5 letters or digits (6 for new-energy vehicles); "
            "this one has 7.",
            "invalid_length",
        ),
        (
            "沪AX12345",
            "A new-energy plate needs D or F, then a letter or digit and 4 digits (such as 粤BD12345), "
            "or 5 digits followed by D or F (such as 苏E12345D).",
            "invalid_format",
        ),
        (
            "粤BD1234A",
            "A new-energy plate needs D or F, then a letter or digit and 4 digits (such as 粤BD12345), "
            "or 5 digits followed by D or F (such as 苏E12345D).",
            "invalid_format",
        ),
        ("沪A1234港", "Hong Kong and Macau plates (港, 澳) must start with 粤Z.", "invalid_format"),
        (
            "粤Z123港",
            "A plate ending in 港 needs 4 letters or digits before 港; this one has 3.",
            "invalid_length",
        ),
        (
            "京A12345警",
            "A plate ending in 警 needs 4 letters or digits before 警; this one has 5.",
            "invalid_length",
        ),
        ("京A12警45", "“警” cannot appear in this position of a licence plate.", "invalid_character"),
        ("京A京1234", "“京” cannot appear in this position of a licence plate.", "invalid_character"),
        (
            "京A12😀45",
            "A licence plate may contain only letters and digits after the province; “😀” is not allowed.",
            "invalid_character",
        ),
        (
            "京A1';--",
            "A licence plate may contain only letters and digits after the province; “'” is not allowed.",
            "invalid_character",
        ),
        ("使01457", "An embassy plate must be 使 followed by 6 digits.", "invalid_format"),
        ("使A14578", "An embassy plate must be 使 followed by 6 digits.", "invalid_format"),
    ],
)
def test_bad_plate_is_refused(raw: str, message: str, code: str) -> None:
    assert refusal(clean_plate, raw) == (message, code)


# Email addresses ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("zhang.san@example.com", "zhang.san@example.com"),
        ("  Zhang.San@Example.COM ", "Zhang.San@example.com"),
        ("ｚｈａｎｇ＠ＥＸＡＭＰＬＥ．ｃｏｍ", "zhang@example.com"),
        ("service+4s@dealer.com.cn", "service+4s@dealer.com.cn"),
    ],
)
def test_valid_email_is_normalised(raw: str, expected: str) -> None:
    assert clean_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("zhang.example.com", "An email address must contain “@”, as in name@example.com."),
        ("@example.com", "The part of the email address before “@” is missing."),
        ("zhang@", "The domain after “@” is missing from the email address."),
        ("zhang@localhost", "The domain after “@” must contain a dot, as in example.com."),
        ("zhang@@example.com", "This is not a valid email address; check it for typos and stray characters."),
        ("😀@example.com", "This is not a valid email address; check it for typos and stray characters."),
        ("x';DROP--@example.com", "This is not a valid email address; check it for typos and stray characters."),
        ("zhang@example..com", "This is not a valid email address; check it for typos and stray characters."),
    ],
)
def test_bad_email_is_refused(raw: str, message: str) -> None:
    assert refusal(clean_email, raw) == (message, "invalid")


@pytest.mark.parametrize(
    ("raw", "message", "code"),
    [
        ("", "Enter an email address.", "required"),
        ("zhang san@example.com", "An email address cannot contain spaces.", "invalid_character"),
        ("zhang@exam ple.com", "An email address cannot contain spaces.", "invalid_character"),
    ],
)
def test_empty_or_spaced_email_is_refused(raw: str, message: str, code: str) -> None:
    assert refusal(clean_email, raw) == (message, code)


# Masks -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("１３８ １２３４ ５６７８", "138****5678"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_mobile(raw: str, masked: str) -> None:
    assert mask_mobile(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("310104198001021234", "3101**********1234"),
        ("11010519491231002x", "1101**********002X"),
        ("110105194912310021", "1101**********0021"),  # Masked even when the check digit is wrong.
        ("1101", "****"),
    ],
)
def test_mask_resident_id(raw: str, masked: str) -> None:
    assert mask_resident_id(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("91350100M000100Y43", "9135**********0Y43"),
        ("91350100m000100y43", "9135**********0Y43"),
        ("9135", "****"),
    ],
)
def test_mask_uscc(raw: str, masked: str) -> None:
    assert mask_uscc(raw) == masked


@pytest.mark.parametrize(
    ("parts", "masked"),
    [
        (("广东省", "深圳市", "南山区", "科技园路1号"), "广东省深圳市南山区****"),
        ((" 浙江省 ", "杭州市", "西湖区", "文三路 90 号"), "浙江省杭州市西湖区****"),
        (("上海市", "上海市", "浦东新区", "世纪大道100号"), "上海市浦东新区****"),
        (("广东省", "深圳市", "南山区", "  "), "广东省深圳市南山区"),
    ],
)
def test_mask_address(parts: tuple[str, str, str, str], masked: str) -> None:
    assert mask_address(*parts) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张伟", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧**"),  # never more than two stars: the length of the name stays hidden too
        (" 李四 ", "李*"),
        ("张", "张*"),
        ("Mr Wang", "M*****"),
        ("Li", "L*****"),
        ("  ", ""),
        ("", ""),
    ],
)
def test_mask_name(raw: str, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("沪A12345", "沪A***45"),
        ("沪a·123 45", "沪A***45"),
        ("粤BD12345", "粤B****45"),  # new-energy: one more hidden
        ("苏E12345D", "苏E****5D"),
        ("粤Z1234港", "粤Z***4港"),
        ("京A1", "***"),
        ("沪A12", "****"),
        ("", ""),
    ],
)
def test_mask_plate(raw: str, masked: str) -> None:
    assert mask_plate(raw) == masked


# Translation -------------------------------------------------------------------------------------------------------


def test_messages_go_through_gettext(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identifiers, "_", lambda message: f"[{message}]")
    assert refusal(clean_vin, "") == ("[Enter a VIN.]", "required")
