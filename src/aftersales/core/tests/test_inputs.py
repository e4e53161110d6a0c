"""The input rules of every surface (core.inputs), character class by character class."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django import forms
from django.utils import translation
from ninja import Field
from pydantic import ValidationError

from aftersales.core import inputs
from aftersales.core.apikit import InputSchema
from aftersales.core.forms import InputForm
from aftersales.core.models import Store

CONTROL = "This text contains a control character (%s) that cannot be stored; remove it."
DIRECTION = "This text contains an invisible character that changes the reading direction (%s); remove it."
ONE_LINE = "Enter this on one line: line breaks and tabs are not allowed here."


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "U+0000"),
        ("\x07", "U+0007"),
        ("\x08", "U+0008"),
        ("\x0b", "U+000B"),
        ("\x0c", "U+000C"),
        ("\x0e", "U+000E"),
        ("\x1b", "U+001B"),
        ("\x1f", "U+001F"),
        ("\x7f", "U+007F"),
        ("\x80", "U+0080"),
        ("\x85", "U+0085"),
        ("\x9f", "U+009F"),
    ],
)
def test_control_characters_are_refused_everywhere(char: str, code: str) -> None:
    assert inputs.text_problem(f"王{char}五") == CONTROL % code
    assert inputs.text_problem(f"王{char}五", multiline=True) == CONTROL % code


@pytest.mark.parametrize(
    "char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
)
def test_direction_embeddings_overrides_and_isolates_are_refused(char: str) -> None:
    assert inputs.text_problem(f"沪A{char}12345") == DIRECTION % f"U+{ord(char):04X}"


def test_a_lone_surrogate_is_refused() -> None:
    assert inputs.text_problem("ab\ud800") == "This text contains an invalid character (U+D800); remove it."


@pytest.mark.parametrize("text", ["第一行\n第二行", "a\tb", "a\r\nb", "a\u2028b", "a\u2029b"])
def test_line_breaks_and_tabs_only_in_multi_line_fields(text: str) -> None:
    assert inputs.text_problem(text) == ONE_LINE
    assert inputs.text_problem(text, multiline=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "王五",
        "Müller-Lüdenscheidt",
        "沪A·12345",
        "ＶＩＮ１２３",  # full-width letters are normalised by the identifier cleaners, not refused
        "👨‍👩‍👧",  # zero-width joiners inside an emoji
        "العربية",  # right-to-left script itself is fine; only the invisible overrides are not
        "a\u200eb",  # a left-to-right mark is not an override
        "",
    ],
)
def test_ordinary_text_is_accepted(text: str) -> None:
    assert inputs.text_problem(text) is None


def test_whole_numbers_are_bounded_to_64_bits() -> None:
    assert inputs.integer_problem(2**63 - 1) is None
    assert inputs.integer_problem(-(2**63)) is None
    message = "Enter a whole number between -9223372036854775808 and 9223372036854775807."
    assert inputs.integer_problem(2**63) == message
    assert inputs.integer_problem(-(2**63) - 1) == message


def test_values_are_checked_inside_lists_and_mappings() -> None:
    assert inputs.value_problem(["ok", "a\x00b"]) == CONTROL % "U+0000"
    assert inputs.value_problem({"k\x1b": "v"}) == CONTROL % "U+001B"
    assert inputs.value_problem({"k": [2**64]}) is not None
    assert inputs.value_problem(True) is None


def test_an_api_schema_applies_the_rules_to_every_field_it_declares() -> None:
    class BodyIn(InputSchema):
        title: str = Field(max_length=20)
        note: str = Field(default="", max_length=200, json_schema_extra=inputs.MULTILINE)
        tags: list[str] = Field(default_factory=list, max_length=3)
        count: int = 0

    assert BodyIn(title="a", note="x\ny", tags=["ok"], count=5).note == "x\ny"
    with pytest.raises(ValidationError) as refused:
        BodyIn(title="a\nb", note="x\x00", tags=["o\u202ek"], count=2**64)
    assert [(error["loc"], error["type"]) for error in refused.value.errors()] == [
        (("title",), "value_error"),
        (("note",), "value_error"),
        (("tags",), "value_error"),
        (("count",), "value_error"),
    ]
    assert BodyIn.model_json_schema()["properties"]["note"]["x-multiline"] is True
    with pytest.raises(ValidationError) as stripped:  # refused as sent, not stripped away first
        BodyIn(title="a\x0b", note="x\x1c")
    assert [error["loc"] for error in stripped.value.errors()] == [("title",), ("note",)]


class NoteForm(InputForm):
    title = forms.CharField(max_length=20)
    note = forms.CharField(max_length=200, widget=forms.Textarea, required=False)
    store = forms.ModelChoiceField(queryset=None, required=False)  # type: ignore[arg-type]
    count = forms.IntegerField(required=False)


def test_a_page_form_refuses_before_its_fields_parse(db: None) -> None:
    NoteForm.base_fields["store"].queryset = Store.objects.all()  # type: ignore[attr-defined]
    form = NoteForm({"title": "a\u202eb", "note": "第一行\r\n第二行", "store": "1\x00", "count": str(2**63)})
    assert not form.is_valid()
    assert form.errors == {
        "title": [DIRECTION % "U+202E"],
        "store": [CONTROL % "U+0000"],
        "count": ["Ensure this value is less than or equal to 9223372036854775807."],
    }
    assert NoteForm({"title": "ok", "note": "第一行\r\n第二行", "count": "7"}).is_valid()
