"""A local stand-in for Aliyun SMS, for tests and the bench: it checks every request's signature as
Aliyun does, refuses what Aliyun refuses (an unknown AccessKeyId, a bad signature, a reused nonce, a
number that is not a mobile, a signature or template not approved), counts what it accepts, and
answers QuerySendDetails from those records."""

from __future__ import annotations

import itertools
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from aftersales.messaging.channels.aliyun import signature

_MOBILE = re.compile(r"1[3-9]\d{9}")
_BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass
class Sent:
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, Any]
    out_id: str
    biz_id: str
    on: str  # yyyyMMdd, Beijing time


@dataclass
class FakeAliyun:
    access_key_id: str = "LTAI-test"
    access_key_secret: str = "test-secret"  # noqa: S105 - the fake's own, for local tests
    approved: set[tuple[str, str]] = field(default_factory=lambda: {("华东汽车", "SMS_100001")})
    sends: list[Sent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the codes of refused requests
    fail_next: list[str] = field(default_factory=list)  # codes to answer the next SendSms calls with
    on_accept: Callable[[Sent], None] | None = None  # called after a send is recorded, before answering
    _nonces: set[str] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    endpoint: str = ""

    def answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            return self._answer(method, params)

    def _refuse(self, status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
        self.refused.append(code)
        return status, {"Code": code, "Message": message, "RequestId": "fake"}

    def _answer(self, method: str, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if params.get("AccessKeyId") != self.access_key_id:
            return self._refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        expected = signature(self.access_key_secret, method, params)
        if params.get("Signature") != expected:
            return self._refuse(400, "SignatureDoesNotMatch", "Specified signature is not matched.")
        for name in ("SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Version", "Format"):
            if not params.get(name):
                return self._refuse(400, "MissingParameter", f"{name} is mandatory for this action.")
        if params["SignatureNonce"] in self._nonces:
            return self._refuse(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(params["SignatureNonce"])
        if params.get("Action") == "SendSms":
            return self._send(params)
        if params.get("Action") == "QuerySendDetails":
            return self._query(params)
        return self._refuse(400, "InvalidAction.NotFound", "Specified api is not found.")

    def _send(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.fail_next:
            code = self.fail_next.pop(0)
            return self._refuse(200, code, "fake failure")
        phone = params.get("PhoneNumbers", "")
        if not _MOBILE.fullmatch(phone):
            return self._refuse(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if (params.get("SignName", ""), params.get("TemplateCode", "")) not in self.approved:
            return self._refuse(200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return self._refuse(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
        sent = Sent(
            phone=phone,
            sign_name=params["SignName"],
            template_code=params["TemplateCode"],
            params=values,
            out_id=params.get("OutId", ""),
            biz_id=f"{next(self._ids):06d}^0",
            # The provider's day of the send, on the clock the tests move (the outbox asks by that day).
            on=timezone.now().astimezone(_BEIJING).strftime("%Y%m%d"),
        )
        self.sends.append(sent)
        if self.on_accept is not None:
            self.on_accept(sent)
        return 200, {"Code": "OK", "Message": "OK", "BizId": sent.biz_id, "RequestId": "fake"}

    def _query(self, params: dict[str, str]) -> tuple[int, dict[str, Any]]:
        found = [
            sent for sent in self.sends if sent.phone == params.get("PhoneNumber") and sent.on == params.get("SendDate")
        ]
        details = [
            {
                "PhoneNum": sent.phone,
                "SendStatus": 3,
                "ErrCode": "DELIVERED",
                "TemplateCode": sent.template_code,
                "OutId": sent.out_id,
                "SendDate": sent.on,
            }
            for sent in found
        ]
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "TotalCount": len(details),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }


def _handler(fake: FakeAliyun) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _respond(self, method: str, raw: str) -> None:
            params = {key: values[-1] for key, values in urllib.parse.parse_qs(raw, keep_blank_values=True).items()}
            status, body = fake.answer(method, params)
            data = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the caller is gone (a worker killed mid-request): it never hears the answer

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._respond("POST", self.rfile.read(length).decode())

        def do_GET(self) -> None:
            self._respond("GET", urllib.parse.urlsplit(self.path).query)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def fake_aliyun_running(fake: FakeAliyun | None = None) -> Iterator[FakeAliyun]:
    """Serve ``fake`` on a free local port for the block; its ``endpoint`` is set."""
    fake = fake or FakeAliyun()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.endpoint = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
