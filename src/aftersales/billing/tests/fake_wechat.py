"""A local stand-in for WeChat Pay API v2 付款码 (micropay, orderquery, reverse), for tests.

It reads the XML WeChat Pay reads, checks each request as WeChat Pay does (the merchant, the signature in
the request's sign_type, MD5 by default, the fields each API requires) and refuses the rest with an
unsigned ``return_code`` FAIL; it keeps the orders it was asked to pay and answers in the same XML, signed
in the request's sign_type, strings in CDATA and amounts bare as WeChat Pay writes them. Its signature is
worked out here, apart from the adapter's, so that neither hides a mistake of the other.

Each test scripts it: paid at once (the default); the customer confirms on the nth query
(``paid_on_query``); an error code before anything is done (``fail_next``); the payment taken but the
answer an error code (``lose_next``) or no answer at all (``drop_next``); a wrong amount taken
(``charge_fen``); an answer changed after it was signed (``tamper``). An order number paid already
answers ORDERPAID, as WeChat Pay does. ``received`` is every request as it arrived.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

APIS = {"/pay/micropay": "micropay", "/pay/orderquery": "orderquery", "/secapi/pay/reverse": "reverse"}
REQUIRED = {
    "micropay": ("body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"),
    "orderquery": ("out_trade_no",),
    "reverse": ("out_trade_no",),
}
# err_code_des as WeChat Pay gives them.
DESCRIPTIONS = {
    "SYSTEMERROR": "系统超时",
    "BANKERROR": "银行系统异常",
    "USERPAYING": "需要用户输入支付密码",
    "AUTHCODEEXPIRE": "二维码已过期，请用户在微信上刷新后再试",
    "AUTH_CODE_INVALID": "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)",
    "NOTENOUGH": "余额不足",
    "ORDERPAID": "订单已支付",
    "ORDERREVERSED": "订单已撤销",
    "ORDERNOTEXIST": "订单不存在",
}
AMOUNTS = ("total_fee", "cash_fee")  # written without CDATA


def fake_sign(params: dict[str, str], key: str, sign_type: str) -> str:
    pairs = [f"{name}={value}" for name, value in sorted(params.items()) if name != "sign" and value]
    text = "&".join([*pairs, f"key={key}"]).encode()
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode(), text, hashlib.sha256).hexdigest().upper()
    return hashlib.md5(text).hexdigest().upper()  # noqa: S324 - the provider's MD5 sign


@dataclass
class Received:
    api: str
    params: dict[str, str]
    body: bytes
    content_type: str


@dataclass
class Order:
    out_trade_no: str
    total_fee: int  # asked
    auth_code: str
    body: str
    state: str  # trade_state
    charged_fen: int = 0  # taken
    transaction_id: str = ""
    time_end: str = ""
    queries: int = 0


class Drop(Exception):
    """Close the connection without an answer."""


@dataclass
class FakeWeChatPay:
    appid: str = "wx2421b1c4370ec43b"
    mch_id: str = "10000100"
    api_key: str = "192006250b4c09247ec02edce69f6a2d"  # 32 characters, as the merchant platform sets it
    time_end: str = "20260314101530"  # the time it gives every payment (Beijing time)
    paid_on_query: int | None = None  # None: paid at once; n: USERPAYING, then paid when the nth query asks
    charge_fen: int | None = None  # what it takes instead of total_fee
    fail_next: dict[str, list[str]] = field(default_factory=dict)  # per API: err_codes, nothing done
    lose_next: list[str] = field(default_factory=list)  # err_codes of micropay answers after taking the payment
    drop_next: list[str] = field(default_factory=list)  # APIs whose next call is acted on, then not answered
    tamper: Callable[[str, dict[str, str]], None] | None = None  # changes a signed answer (api, fields)
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # return_msg of the requests refused as such
    orders: dict[str, Order] = field(default_factory=dict)
    charges: list[str] = field(default_factory=list)  # the transaction ids of the payments taken
    refunds: list[str] = field(default_factory=list)  # those returned by a reverse
    endpoint: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        with self._lock:
            return self._answer(path, body, content_type)

    def _refuse(self, message: str) -> tuple[int, bytes]:
        self.refused.append(message)
        return 200, _xml({"return_code": "FAIL", "return_msg": message})

    def _answer(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        api = APIS.get(path)
        if api is None:
            return 404, b""
        try:
            root = ET.fromstring(body)  # noqa: S314 - the test's own requests
        except ET.ParseError:
            return self._refuse("XML格式错误")
        params = {child.tag: child.text or "" for child in root}
        self.received.append(Received(api, params, body, content_type))
        sign_type = params.get("sign_type") or "MD5"
        if sign_type not in ("MD5", "HMAC-SHA256"):
            return self._refuse("sign_type参数错误")
        if params.get("sign") != fake_sign(params, self.api_key, sign_type):
            return self._refuse("签名错误")
        if params.get("appid") != self.appid or params.get("mch_id") != self.mch_id:
            return self._refuse("appid和mch_id不匹配")
        if not 0 < len(params.get("nonce_str", "")) <= 32:
            return self._refuse("nonce_str参数长度有误")
        if any(not params.get(name) for name in REQUIRED[api]):
            return self._refuse("缺少参数")
        fields = {"return_code": "SUCCESS", "return_msg": "OK", "appid": self.appid, "mch_id": self.mch_id}
        fields |= {"nonce_str": secrets.token_hex(8)}
        failures = self.fail_next.get(api) or []
        if failures:
            fields |= _failed(failures.pop(0))
            if api == "reverse":
                fields["recall"] = "Y" if fields["err_code"] == "SYSTEMERROR" else "N"
        else:
            fields |= getattr(self, f"_{api}")(params)
        fields["sign"] = fake_sign(fields, self.api_key, sign_type)
        if self.tamper is not None:
            self.tamper(api, fields)
        if api in self.drop_next:
            self.drop_next.remove(api)
            raise Drop
        return 200, _xml(fields)

    def _pay(self, order: Order) -> None:
        order.state = "SUCCESS"
        order.charged_fen = self.charge_fen if self.charge_fen is not None else order.total_fee
        order.transaction_id = f"42000000{next(self._ids):020d}"
        order.time_end = self.time_end
        self.charges.append(order.transaction_id)

    def _paid(self, order: Order) -> dict[str, str]:
        return {
            "openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
            "is_subscribe": "N",
            "trade_type": "MICROPAY",
            "bank_type": "OTHERS",
            "fee_type": "CNY",
            "total_fee": str(order.charged_fen),
            "cash_fee": str(order.charged_fen),
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "time_end": order.time_end,
        }

    def _micropay(self, params: dict[str, str]) -> dict[str, str]:
        known = self.orders.get(params["out_trade_no"])
        if known is not None:  # the same order number again
            code = {"SUCCESS": "ORDERPAID", "REVOKED": "ORDERREVERSED"}.get(known.state, "USERPAYING")
            return _failed(code)
        order = Order(
            params["out_trade_no"], int(params["total_fee"]), params["auth_code"], params["body"], "USERPAYING"
        )
        self.orders[order.out_trade_no] = order
        if self.paid_on_query is not None:
            return _failed("USERPAYING")
        self._pay(order)
        if self.lose_next:
            return _failed(self.lose_next.pop(0))
        return {"result_code": "SUCCESS", **self._paid(order)}

    def _orderquery(self, params: dict[str, str]) -> dict[str, str]:
        order = self.orders.get(params["out_trade_no"])
        if order is None:
            return _failed("ORDERNOTEXIST")
        order.queries += 1
        if order.state == "USERPAYING" and self.paid_on_query is not None and order.queries >= self.paid_on_query:
            self._pay(order)
        fields = {"result_code": "SUCCESS", "out_trade_no": order.out_trade_no, "trade_state": order.state}
        fields["trade_state_desc"] = {"USERPAYING": "需要用户输入支付密码"}.get(order.state, order.state)
        return fields | (self._paid(order) if order.state == "SUCCESS" else {})

    def _reverse(self, params: dict[str, str]) -> dict[str, str]:
        order = self.orders.setdefault(params["out_trade_no"], Order(params["out_trade_no"], 0, "", "", "NOTPAY"))
        if order.state == "SUCCESS":
            self.refunds.append(order.transaction_id)
        order.state = "REVOKED"
        return {"result_code": "SUCCESS", "recall": "N"}


def _failed(code: str) -> dict[str, str]:
    return {"result_code": "FAIL", "err_code": code, "err_code_des": DESCRIPTIONS.get(code, code)}


def _xml(fields: dict[str, str]) -> bytes:
    parts = [
        f"<{name}>{value}</{name}>" if name in AMOUNTS else f"<{name}><![CDATA[{value}]]></{name}>"
        for name, value in fields.items()
    ]
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def _handler(fake: FakeWeChatPay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                status, data = fake.answer(self.path, body, self.headers.get("Content-Type", ""))
            except Drop:
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def fake_wechat_running(fake: FakeWeChatPay | None = None) -> Iterator[FakeWeChatPay]:
    """Serve ``fake`` on a free local port for the block; its ``endpoint`` is set."""
    fake = fake or FakeWeChatPay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.endpoint = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
