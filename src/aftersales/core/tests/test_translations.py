"""Translations: compiled when the app starts, and every message of the code translated into Chinese.

The messages are extracted without GNU gettext: Python's ``ast`` finds the gettext calls of the code
(model verbose names and choice labels are gettext_lazy calls too), Django's ``templatize`` turns the
templates' translate and blocktranslate tags into such calls.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.translation.template import templatize

from aftersales.core.translations import translations_compile

REPO = Path(settings.BASE_DIR)
PO_PATH = Path(settings.LOCALE_SOURCE_DIR) / "zh_Hans" / "LC_MESSAGES" / "django.po"
# The positions of the message arguments of each gettext function: (context, singular, plural).
FUNCTIONS: dict[str, tuple[int | None, int, int | None]] = {
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
# Named and positional %-placeholders and str.format fields; "%%" is a literal per cent sign.
PLACEHOLDER = re.compile(r"%%|%(?:\(\w+\))?[#0\- +]*\d*(?:\.\d+)?[sdifr]|\{\w*\}")


@dataclass(frozen=True)
class Message:
    context: str | None
    msgid: str
    plural: str | None
    where: str  # path:line


def _python_files() -> list[Path]:
    roots = [REPO / "src" / "aftersales", REPO / "config"]
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(root).parts) and path.name != "conftest.py"
    )


def _gettext_names(tree: ast.AST) -> tuple[dict[str, str], set[str]]:
    """The names gettext functions are imported under in a module, and the names of the
    ``django.utils.translation`` module itself."""
    functions: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            functions.update(
                {alias.asname or alias.name: alias.name for alias in node.names if alias.name in FUNCTIONS}
            )
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules.update(alias.asname or alias.name for alias in node.names if alias.name == "translation")
    return functions, modules


def _literal(call: ast.Call, position: int | None) -> str | None:
    if position is None or position >= len(call.args):
        return None
    argument = call.args[position]
    return argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None


def _calls(
    tree: ast.AST, functions: dict[str, str], modules: set[str], path: str, first_line: int = 1
) -> list[Message]:
    found = []
    calls = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Call)), key=lambda n: (n.lineno, n.col_offset)
    )
    for node in calls:
        name = None
        if isinstance(node.func, ast.Name):
            name = functions.get(node.func.id)
        elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            name = node.func.attr if node.func.value.id in modules and node.func.attr in FUNCTIONS else None
        if name is None:
            continue
        context, singular, plural = FUNCTIONS[name]
        msgid = _literal(node, singular)
        if msgid is None:
            continue  # a variable: its values are messages of their own
        where = f"{path}:{node.lineno + first_line - 1}"
        found.append(Message(_literal(node, context), msgid, _literal(node, plural), where))
    return found


def _python_calls(code: str, path: str) -> list[Message]:
    tree = ast.parse(code, filename=path)
    functions, modules = _gettext_names(tree)
    return _calls(tree, functions, modules, path)


def _python_messages() -> list[Message]:
    return [
        message
        for path in _python_files()
        for message in _python_calls(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]


# templatize writes {% translate %} as gettext(...) and a filter argument _("...") as _(...).
CALL_START = re.compile(r"(?<![\w.])(n?p?gettext|_)\(")


def _template_calls(template: str, path: str) -> list[Message]:
    """templatize writes each translatable piece of a template as a gettext call on its line."""
    messages = []
    functions = {name: name for name in FUNCTIONS} | {"_": "gettext"}
    code = templatize(template, origin=path)
    for match in CALL_START.finditer(code):
        line = code.count("\n", 0, match.start()) + 1
        rest = code[match.start() :].split("\n", 1)[0]
        # The call ends at the first closing parenthesis after which it parses (one may be in a string).
        for end in (i + 1 for i, char in enumerate(rest) if char == ")"):
            try:
                tree = ast.parse(rest[:end], mode="eval")
            except SyntaxError:
                continue
            messages += _calls(tree, functions, set(), path, first_line=line)
            break
    return messages


def _template_messages() -> list[Message]:
    return [
        message
        for path in sorted((REPO / "src" / "aftersales").rglob("*.html"))
        for message in _template_calls(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]


def _placeholders(text: str) -> Counter[str]:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def test_the_extractor_finds_every_form_of_message() -> None:
    code = (
        "from django.utils import translation\n"
        "from django.utils.translation import gettext_lazy as _, npgettext, pgettext_lazy as p\n"
        "KIND = 'petrol', _('Petrol')\n"
        "label = p('month', 'May')\n"
        "count = translation.ngettext('%(n)s car', '%(n)s cars', 2)\n"
        "both = npgettext('stock', '%(n)s part', '%(n)s parts', 3)\n"
        "skipped = _(label), gettext('not imported')\n"
    )
    template = (
        '{% load i18n %}<h1>{% translate "Audit (trail)" %}</h1>\n'
        "<p>{% trans 'Open' context 'door' %}</p>\n"
        "{% blocktranslate count n=rows|length %}{{ n }} row{% plural %}{{ n }} rows{% endblocktranslate %}\n"
        '{% blocktrans with name=user.name context "greeting" trimmed %}\n  Hello\n  {{ name }}\n{% endblocktrans %}\n'
    )

    found = [(m.context, m.msgid, m.plural, m.where) for m in _python_calls(code, "x.py")]
    in_template = [(m.context, m.msgid, m.plural, m.where) for m in _template_calls(template, "x.html")]

    assert found == [
        (None, "Petrol", None, "x.py:3"),
        ("month", "May", None, "x.py:4"),
        (None, "%(n)s car", "%(n)s cars", "x.py:5"),
        ("stock", "%(n)s part", "%(n)s parts", "x.py:6"),
    ]
    assert in_template == [
        (None, "Audit (trail)", None, "x.html:1"),
        ("door", "Open", None, "x.html:2"),
        (None, "%(n)s row", "%(n)s rows", "x.html:3"),
        ("greeting", "Hello %(name)s", None, "x.html:4"),
    ]
    everything = {(m.context, m.msgid) for m in _python_messages() + _template_messages()}
    assert {
        (None, "fuel type"),
        (None, "Individual"),
        (None, "Audit trail"),
        (None, "Simplified Chinese"),
    } <= everything


def test_every_message_has_a_chinese_translation() -> None:
    catalogue = polib.pofile(str(PO_PATH))
    entries = {(entry.msgctxt, entry.msgid): entry for entry in catalogue if not entry.obsolete}
    missing: list[str] = []
    mismatched: list[str] = []
    for message in sorted(_python_messages() + _template_messages(), key=lambda m: m.where):
        entry = entries.get((message.context, message.msgid))
        shown = f"  {message.where}  {message.msgid!r}" + (f" [{message.context}]" if message.context else "")
        translations = list(entry.msgstr_plural.values()) if entry is not None and entry.msgid_plural else []
        if entry is not None and not entry.msgid_plural:
            translations = [entry.msgstr]
        if (
            entry is None
            or entry.fuzzy
            or not translations
            or not all(translations)
            or (message.plural is not None and entry.msgid_plural != message.plural)
        ):
            missing.append(shown)
            continue
        expected = _placeholders(entry.msgid_plural or entry.msgid)
        if any(_placeholders(translation) != expected for translation in translations):
            mismatched.append(f"{shown} → {translations!r}")
    if missing:
        pytest.fail(f"Messages without a Chinese translation in {PO_PATH.relative_to(REPO)}:\n" + "\n".join(missing))
    if mismatched:
        pytest.fail("Translations whose placeholders differ from the message's:\n" + "\n".join(mismatched))


# --- compiled when the app starts -------------------------------------------------------------------


def test_a_fresh_installation_shows_chinese_without_a_build_step(tmp_path: Path) -> None:
    """Start the app as ``aftersales serve`` does, in a data folder where nothing was compiled yet."""
    compiled = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    script = (
        "import django\n"
        "django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/login/', headers={'accept-language': 'zh-hans'})\n"
        "print(response.status_code)\n"
        "print(response.content.decode())\n"
    )
    environment = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    environment |= {"AFTERSALES_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    assert not compiled.exists()

    result = subprocess.run(  # noqa: S603 - the test's own interpreter and script
        [sys.executable, "-c", script], env=environment, cwd=REPO, capture_output=True, text=True, check=True
    )

    status, html = result.stdout.split("\n", 1)
    assert status == "200"
    assert "<title>登录" in html and "用户名" in html and "Sign in" not in html
    assert compiled.exists()


def test_a_catalogue_is_compiled_again_only_when_its_source_changes(tmp_path: Path) -> None:
    source = tmp_path / "source" / "zh_Hans" / "LC_MESSAGES"
    source.mkdir(parents=True)
    po_path = source / "django.po"
    po_path.write_text(PO_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    compiled = tmp_path / "compiled" / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    with override_settings(LOCALE_SOURCE_DIR=tmp_path / "source", LOCALE_COMPILED_DIR=tmp_path / "compiled"):
        assert translations_compile() == [compiled]
        assert translations_compile() == []
        os.utime(po_path, ns=(1_000_000_000, 1_000_000_000))  # touched, the same text: nothing to do
        assert translations_compile() == []
        stamp = po_path.stat().st_mtime_ns
        po_path.write_text(po_path.read_text(encoding="utf-8").replace("审计日志", "审计记录"), encoding="utf-8")
        os.utime(po_path, ns=(stamp, stamp))  # changed text with the same time (a build with fixed times)
        assert translations_compile() == [compiled]
        assert translations_compile(force=True) == [compiled]
    assert sorted(path.name for path in compiled.parent.iterdir()) == [
        "django.mo",
        "django.mo.source",
    ]  # no temporary file left
    assert {entry.msgid: entry.msgstr for entry in polib.mofile(str(compiled))}["Audit trail"] == "审计记录"
