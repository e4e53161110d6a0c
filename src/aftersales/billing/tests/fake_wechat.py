"""A local stand-in for WeChat Pay API v2 付款码 (micropay, orderquery, reverse) and its refunds (refund,
refundquery), for tests.

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

Refunds as WeChat Pay makes them: only of a paid order, its total given as paid, never above what is left of
it (INVALID_REQUEST refund_fee大于可退金额; ERROR 订单已全额退款 once nothing is left); a refund number sent
again with the same amounts answers the refund it made, once (同一退款单号多次请求只退一笔), with other amounts
REFUND_FEE_MISMATCH. A refund is taken as PROCESSING and paid out at once (the query finds it SUCCESS), or
on the nth query (``refund_done_on_query``); scripted further: another amount refunded
(``refund_fen_instead``), the refund made but the answer an error code (``lose_next_refund``).

Served over HTTPS (``fake_wechat_running(tls=...)``, see ``merchant_tls``) it asks for the client
certificate and closes a ``/secapi/`` request's connection without an answer when none came, as WeChat Pay
refuses a request without its 双向证书; ``Received.client_cert`` is the certificate's common name.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import itertools
import re
import secrets
import ssl
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

APIS = {
    "/pay/micropay": "micropay",
    "/pay/orderquery": "orderquery",
    "/secapi/pay/reverse": "reverse",
    "/secapi/pay/refund": "refund",
    "/pay/refundquery": "refundquery",
}
REQUIRED = {
    "micropay": ("body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code"),
    "orderquery": ("out_trade_no",),
    "reverse": ("out_trade_no",),
    "refund": ("out_trade_no", "out_refund_no", "total_fee", "refund_fee"),
    "refundquery": ("out_refund_no",),  # WeChat Pay takes one of four numbers; the adapter sends this one
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
    "REFUND_FEE_MISMATCH": "订单金额或退款金额与之前请求不一致，请核实后再试",
    "REFUNDNOTEXIST": "退款订单查询失败",
    "BIZERR_NEED_RETRY": "退款业务流程错误，需要商户触发重试来解决",
    "TRADE_OVERDUE": "订单已经超过退款期限",
}
# Amounts and counts, written without CDATA.
AMOUNTS = re.compile(r"(total_fee|cash_fee|refund_fee|cash_refund_fee|refund_count|refund_fee_[0-9]+)")


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
    client_cert: str | None = None  # over HTTPS: the common name of the client's certificate ("" for none)


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
    refunded_fen: int = 0  # given back by refunds


@dataclass
class Refund:
    out_refund_no: str
    out_trade_no: str
    total_fee: int  # as the request gave it
    refund_fee: int  # asked
    refund_id: str
    refunded_fen: int  # given back
    status: str = "PROCESSING"  # refund_status
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
    refund_done_on_query: int | None = None  # None: paid out at once; n: PROCESSING until the nth query asks
    refund_fen_instead: int | None = None  # what a refund gives back instead of refund_fee
    lose_next_refund: list[str] = field(default_factory=list)  # err_codes of refund answers after making it
    refund_requests: dict[str, Refund] = field(default_factory=dict)  # by out_refund_no
    refund_ids: list[str] = field(default_factory=list)  # the refunds made, one each
    success_time: str = "2026-03-14 11:20:05"  # refund_success_time_$n it gives every refund (Beijing time)
    endpoint: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, body: bytes, content_type: str, client_cert: str | None = None) -> tuple[int, bytes]:
        with self._lock:
            return self._answer(path, body, content_type, client_cert)

    def _refuse(self, message: str) -> tuple[int, bytes]:
        self.refused.append(message)
        return 200, _xml({"return_code": "FAIL", "return_msg": message})

    def _answer(self, path: str, body: bytes, content_type: str, client_cert: str | None) -> tuple[int, bytes]:
        api = APIS.get(path)
        if api is None:
            return 404, b""
        try:
            root = ET.fromstring(body)  # noqa: S314 - the test's own requests
        except ET.ParseError:
            return self._refuse("XML格式错误")
        params = {child.tag: child.text or "" for child in root}
        self.received.append(Received(api, params, body, content_type, client_cert))
        if client_cert == "" and path.startswith("/secapi/"):
            raise Drop  # 请求需要双向证书: no certificate, no answer
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

    def _refund(self, params: dict[str, str]) -> dict[str, str]:
        total_fee, refund_fee = int(params["total_fee"]), int(params["refund_fee"])
        known = self.refund_requests.get(params["out_refund_no"])
        if known is not None:  # the same refund number again: the refund it made, never a second one
            if (known.out_trade_no, known.total_fee, known.refund_fee) != (
                params["out_trade_no"],
                total_fee,
                refund_fee,
            ):
                return _failed("REFUND_FEE_MISMATCH")
            return {"result_code": "SUCCESS", **self._refunded(known)}
        order = self.orders.get(params["out_trade_no"])
        if order is None:
            return _failed("ORDERNOTEXIST")
        if order.state not in ("SUCCESS", "REFUND"):
            return _failed("ERROR", "订单状态错误")
        if total_fee != order.charged_fen:
            return _failed("REFUND_FEE_MISMATCH")
        left = order.charged_fen - order.refunded_fen
        if left == 0:
            return _failed("ERROR", "订单已全额退款")
        if refund_fee > left:
            return _failed("INVALID_REQUEST", "refund_fee大于可退金额")
        refund = Refund(
            out_refund_no=params["out_refund_no"],
            out_trade_no=order.out_trade_no,
            total_fee=total_fee,
            refund_fee=refund_fee,
            refund_id=f"5030000{next(self._ids):022d}",
            refunded_fen=self.refund_fen_instead if self.refund_fen_instead is not None else refund_fee,
        )
        self.refund_requests[refund.out_refund_no] = refund
        self.refund_ids.append(refund.refund_id)
        order.refunded_fen += refund.refunded_fen
        order.state = "REFUND"  # trade_state 转入退款
        if self.lose_next_refund:
            return _failed(self.lose_next_refund.pop(0))
        return {"result_code": "SUCCESS", **self._refunded(refund)}

    def _refunded(self, refund: Refund) -> dict[str, str]:
        order = self.orders[refund.out_trade_no]
        return {
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_channel": "",
            "refund_fee": str(refund.refunded_fen),
            "total_fee": str(order.charged_fen),
            "cash_fee": str(order.charged_fen),
            "cash_refund_fee": str(refund.refunded_fen),
        }

    def _refundquery(self, params: dict[str, str]) -> dict[str, str]:
        refund = self.refund_requests.get(params["out_refund_no"])
        if refund is None:
            return _failed("REFUNDNOTEXIST")
        refund.queries += 1
        done_on = self.refund_done_on_query
        if refund.status == "PROCESSING" and (done_on is None or refund.queries >= done_on):
            refund.status = "SUCCESS"
        order = self.orders[refund.out_trade_no]
        fields = {
            "result_code": "SUCCESS",
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "total_fee": str(order.charged_fen),
            "cash_fee": str(order.charged_fen),
            "refund_count": "1",
            "out_refund_no_0": refund.out_refund_no,
            "refund_id_0": refund.refund_id,
            "refund_channel_0": "ORIGINAL",
            "refund_fee_0": str(refund.refunded_fen),
            "refund_status_0": refund.status,
            "refund_recv_accout_0": "支付用户的零钱",
        }
        if refund.status == "SUCCESS":
            fields["refund_success_time_0"] = self.success_time
        return fields


def _failed(code: str, description: str = "") -> dict[str, str]:
    return {"result_code": "FAIL", "err_code": code, "err_code_des": description or DESCRIPTIONS.get(code, code)}


def _xml(fields: dict[str, str]) -> bytes:
    parts = [
        f"<{name}>{value}</{name}>" if AMOUNTS.fullmatch(name) else f"<{name}><![CDATA[{value}]]></{name}>"
        for name, value in fields.items()
    ]
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def _common_name(certificate: Any) -> str:
    """The commonName of a verified peer certificate (``SSLSocket.getpeercert()``), "" for none."""
    for rdn in (certificate or {}).get("subject", ()):
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return ""


def _handler(fake: FakeWeChatPay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            client_cert = None
            if isinstance(self.connection, ssl.SSLSocket):
                client_cert = _common_name(self.connection.getpeercert())
            try:
                status, data = fake.answer(self.path, body, self.headers.get("Content-Type", ""), client_cert)
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


@dataclass(frozen=True)
class MerchantTLS:
    """A certificate authority of the test's own, the fake's server certificate for 127.0.0.1 and the
    merchant's API client certificate (common name: the mch_id, as WeChat Pay issues it), all by that
    authority. The client trusts it through SSL_CERT_FILE (OpenSSL's default verify paths)."""

    ca_file: Path
    cert_file: Path  # apiclient_cert.pem
    key_file: Path  # apiclient_key.pem
    server: ssl.SSLContext  # asks for a client certificate, verifies one that comes


def merchant_tls(directory: Path, mch_id: str = "10000100") -> MerchantTLS:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AfterSales test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    def issue(name: str, usage: x509.ObjectIdentifier, san: x509.GeneralName | None) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        )
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
        certificate = builder.sign(ca_key, hashes.SHA256())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem

    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    server_cert, server_key = issue(
        "127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    )
    (directory / "server_cert.pem").write_bytes(server_cert)
    (directory / "server_key.pem").write_bytes(server_key)
    client_cert, client_key = issue(mch_id, ExtendedKeyUsageOID.CLIENT_AUTH, None)
    (directory / "apiclient_cert.pem").write_bytes(client_cert)
    (directory / "apiclient_key.pem").write_bytes(client_key)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "server_cert.pem", directory / "server_key.pem")
    server.load_verify_locations(ca_file)
    server.verify_mode = ssl.CERT_OPTIONAL  # WeChat Pay asks for it on /secapi/ only: answered per path
    return MerchantTLS(ca_file, directory / "apiclient_cert.pem", directory / "apiclient_key.pem", server)


@contextmanager
def fake_wechat_running(
    fake: FakeWeChatPay | None = None, *, tls: ssl.SSLContext | None = None
) -> Iterator[FakeWeChatPay]:
    """Serve ``fake`` on a free local port for the block, over HTTPS with ``tls``; its ``endpoint`` is set."""
    fake = fake or FakeWeChatPay()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    fake.endpoint = f"{scheme}://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
