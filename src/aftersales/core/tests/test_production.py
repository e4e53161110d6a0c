"""Production settings end to end: collected static files, ``check --deploy`` clean with the variables
README documents, and a real ``aftersales serve`` behind a (simulated) HTTPS reverse proxy on 127.0.0.1.

One process (``production_site``) does the whole installation and then serves; the tests talk HTTP to it
as the proxy would: ``Host`` of the site, ``X-Forwarded-Proto: https``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from aftersales.core.checks import static_files_collected

DEADLINE_SECONDS = 120
HOST = "service.example.com"
PASSWORD = "Prod-Sign-In-2026!"
HASHED = r"\.[0-9a-f]{12}\."
LONG = "a" * (8 * 1024)


def production_environment(data_dir: Path) -> dict[str, str]:
    """README's production variables (a SQLite database in a data directory of its own)."""
    keep = {key: value for key, value in os.environ.items() if not key.startswith(("AFTERSALES_", "DJANGO_"))}
    keep.pop("DATABASE_URL", None)
    keep.pop("REDIS_URL", None)
    return keep | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "AFTERSALES_DATA_DIR": str(data_dir),
        "AFTERSALES_ALLOWED_HOSTS": HOST,
        "AFTERSALES_TRUSTED_PROXIES": "127.0.0.1",
        "AFTERSALES_DATA_KEYS": Fernet.generate_key().decode(),
        "AFTERSALES_HASH_KEY": secrets.token_urlsafe(32),
        "AFTERSALES_AUDIT_KEYS": secrets.token_urlsafe(32),
        "ADVISOR_PASSWORD": PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class Site:
    port: int
    check: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, *, body: str = "", https: bool = True, host: str = HOST, **headers: str
    ) -> tuple[http.client.HTTPResponse, str]:
        """One request as the proxy forwards it; the cookies it sets are kept for the next."""
        sent = {"Host": host, "X-Forwarded-For": "203.0.113.9"}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body.encode() or None, headers=sent | headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response, text

    def sign_in(self, username: str, password: str) -> http.client.HTTPResponse:
        _page, html = self.request("GET", "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token is not None, html
        form = urlencode({"csrfmiddlewaretoken": token[1], "username": username, "password": password, "next": ""})
        response, _text = self.request(
            "POST",
            "/login/",
            body=form,
            **{
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{HOST}",
                "Referer": f"https://{HOST}/login/",
            },
        )
        return response


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("production")
    out, err = folder / "out.txt", folder / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "aftersales.core.tests.production_site"],
            env=production_environment(folder / "var"),
            stdout=stdout,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            text = out.read_text(encoding="utf-8")
            running = re.search(r"running at http://127\.0\.0\.1:(\d+)/", text)
            if running:
                break
            assert process.poll() is None, err.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the production site did not come up in time"
            time.sleep(0.1)
        check = json.loads(text.splitlines()[0])["check"]
        yield Site(port=int(running[1]), check=check)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_check_deploy_is_clean_with_the_documented_variables(site: Site) -> None:
    assert site.check == "System check identified no issues (0 silenced).\n"


def test_an_advisor_signs_in_through_the_login_page_and_opens_pages(site: Site) -> None:
    login, html = site.request("GET", "/login/", **{"Accept-Language": "en"})
    assert login.status == 200
    assert re.search(rf'href="/static/vendor/bootstrap/bootstrap\.min{HASHED}css"', html), html
    assert login.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"

    signed_in = site.sign_in("advisor_pr01", PASSWORD)
    assert (signed_in.status, signed_in.headers["Location"]) == (302, "/")
    session = next(c for c in signed_in.headers.get_all("Set-Cookie") or [] if c.startswith("sessionid="))
    assert {"Secure", "HttpOnly", "SameSite=Lax"} <= {part.strip() for part in session.split(";")}

    today, html = site.request("GET", "/")
    assert today.status == 200
    assert 'data-testid="current-user"' in html and "advisor_pr01" in html
    assert re.search(rf'src="/static/vendor/echarts/echarts\.min{HASHED}js"', html), html
    customers, html = site.request("GET", "/customers/")
    assert customers.status == 200
    assert re.search(rf'src="/static/vendor/htmx/htmx\.min{HASHED}js"', html), html


def test_every_static_file_a_page_names_is_served_with_the_files_its_css_names(site: Site) -> None:
    visitor = Site(port=site.port, check=site.check)
    _login, html = visitor.request("GET", "/login/")
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(urls) == 5 and all(re.search(HASHED, url) for url in urls), urls
    fonts = []
    for url in urls:
        response, text = visitor.request("GET", url)
        assert response.status == 200, url
        assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable", url
        if url.endswith(".css"):
            base = url.rsplit("/", 1)[0]
            fonts += [f"{base}/{ref}" for ref in re.findall(r'url\("?(fonts/[^")?]+)', text)]
    assert [re.sub(HASHED, ".", font) for font in fonts] == [
        "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
        "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff",
    ]
    for font in fonts:
        response, _text = visitor.request("GET", font)
        assert response.status == 200, font


def test_plain_http_is_sent_to_https_except_the_health_answer(site: Site) -> None:
    page, _html = site.request("GET", "/login/", https=False)
    assert (page.status, page.headers["Location"]) == (301, f"https://{HOST}/login/")
    health, _text = site.request("GET", "/api/v1/health", https=False)
    assert health.status == 200


def test_the_app_answers_its_errors_before_waitress_does(site: Site) -> None:
    too_long, text = site.request("GET", f"/api/v1/health?q={LONG}", **{"Accept-Language": "en"})
    assert (too_long.status, too_long.headers["Content-Type"]) == (414, "application/json; charset=utf-8")
    assert json.loads(text) == {
        "code": "uri_too_long",
        "detail": "The address of the request is too long (limit 8 KB).",
        "fields": {},
    }
    page, html = site.request("GET", f"/login/?next={LONG}", **{"Accept-Language": "zh-hans"})
    assert (page.status, page.headers["Content-Type"]) == (414, "text/html; charset=utf-8")
    assert "请求地址过长（上限 8 KB）。" in unescape(html)
    # Refused by SecurityMiddleware, before the language of the request is otherwise known.
    wrong_host, text = site.request("GET", "/api/v1/health", host="evil.example", **{"Accept-Language": "en"})
    assert (wrong_host.status, json.loads(text)) == (
        400,
        {"code": "bad_host", "detail": "This server does not answer to the host name the request names.", "fields": {}},
    )


MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_a_version_whose_static_files_are_not_all_collected_does_not_serve(tmp_path: Path) -> None:
    shipped = sorted({path for finder in get_finders() for path, _storage in finder.list(["CVS", ".*", "*~"])})
    collected = {path: path for path in shipped if path != "aftersales/app.css"}
    (tmp_path / "staticfiles.json").write_text(json.dumps({"paths": collected, "version": "1.1", "hash": "x"}))
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path):
        errors = static_files_collected()
        with pytest.raises(CommandError) as refused:
            call_command("serve", "--port", "0")
    assert [(error.id, error.msg, error.hint) for error in errors] == [
        (
            "aftersales.E001",
            "1 of this version's static files are not collected (first: aftersales/app.css); "
            "every page naming one fails with 'Missing staticfiles manifest entry'.",
            "Run 'aftersales collectstatic --noinput' after every installation or upgrade.",
        )
    ]
    assert str(refused.value) == (
        "1 of this version's static files are not collected (first: aftersales/app.css), so pages would fail: "
        "run 'aftersales collectstatic --noinput' first."
    )


def test_static_files_served_from_their_folders_need_no_collecting() -> None:
    assert static_files_collected() == []
