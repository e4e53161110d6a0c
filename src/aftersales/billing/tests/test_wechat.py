"""WeChat Pay v2 付款码 (micropay) and its refunds against a local fake that checks every request's signature.

The sign of the documented example worked out by hand in both sign types, the XML read defensively, and
every path of a payment at the counter: paid at once, the customer entering the password, a system error
after or before the payment, an answer lost on the way, a bad signature, a wrong amount, the same order
paid twice, a payment code refused, the order revoked when it stays unclear; the requests as the fake
received them. Nothing sleeps: the waits are recorded. Refunds: taken then made, made on a later query,
never above what is left of the order, one refund per refund number however often it is sent, an error
code or no answer and the same number sent again, a bad signature, another amount, the reason cut to its
field, no provider or no merchant certificate, and over HTTPS the certificate presented.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aftersales.billing.providers import (
    AmountMismatch,
    BadSignature,
    NoPaymentProvider,
    PaymentAmbiguous,
    PaymentError,
    PaymentNotConfigured,
    PaymentProvider,
    PayResult,
    RefundResult,
    pay_until_final,
    payment_provider,
    refund_checked,
)
from aftersales.billing.providers.wechat import WeChatPay, parse_xml, sign, to_xml, verify
from aftersales.billing.tests.fake_wechat import (
    FakeWeChatPay,
    Order,
    Received,
    Refund,
    fake_sign,
    fake_wechat_running,
    merchant_tls,
)

# The example of the v2 签名生成算法 (pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=4_3).
DOC_PARAMS = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "device_info": "1000",
    "body": "test",
    "nonce_str": "ibuaiVcKdpRxkhJA",
}
DOC_KEY = "192006250b4c09247ec02edce69f6a2d"
DOC_STRING_SIGN_TEMP = (
    "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
    "&key=192006250b4c09247ec02edce69f6a2d"
)

ORDER = "RO2026031400001"
CODE = "134567890123456789"  # a WeChat payment code: 18 digits, 10-15 first
BODY = "华东汽车-上海店-维修结算"
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def fake(settings: Any) -> Iterator[FakeWeChatPay]:
    with fake_wechat_running() as running:
        settings.AFTERSALES_PAYMENT_PROVIDER = "wechat"
        settings.WECHAT_PAY_ENDPOINT = running.endpoint
        settings.WECHAT_PAY_APPID = running.appid
        settings.WECHAT_PAY_MCH_ID = running.mch_id
        settings.WECHAT_PAY_API_KEY = running.api_key
        settings.WECHAT_PAY_SIGN_TYPE = "HMAC-SHA256"
        yield running


def _wechat(fake: FakeWeChatPay, sign_type: str = "MD5", **kwargs: Any) -> WeChatPay:
    options: dict[str, Any] = {
        "appid": fake.appid,
        "mch_id": fake.mch_id,
        "api_key": fake.api_key,
        "sign_type": sign_type,
        "endpoint": fake.endpoint,
        "timeout": 5,
    }
    return WeChatPay(**(options | kwargs))


class Till:
    """Runs ``pay_until_final`` and keeps what it was told and how long it would have waited."""

    def __init__(self, provider: PaymentProvider) -> None:
        self.provider = provider
        self.sleeps: list[float] = []
        self.answers: list[tuple[str, PayResult]] = []

    def pay(
        self, *, polls: int = 4, out_trade_no: str = ORDER, auth_code: str = CODE, amount_fen: int = 125000
    ) -> PayResult:
        return pay_until_final(
            self.provider,
            out_trade_no=out_trade_no,
            amount_fen=amount_fen,
            auth_code=auth_code,
            description=BODY,
            client_ip="10.0.0.8",
            polls=polls,
            wait=10.0,
            sleep=self.sleeps.append,
            on_answer=lambda step, result: self.answers.append((step, result)),
        )

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        return [(step, result.state, result.error_code) for step, result in self.answers]


def _hand_sign(params: dict[str, str], key: str, sign_type: str) -> str:
    """The documented algorithm, written out once more for the test."""
    string_sign_temp = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v) + f"&key={key}"
    if sign_type == "MD5":
        return hashlib.md5(string_sign_temp.encode()).hexdigest().upper()  # noqa: S324 - the provider's MD5 sign
    return hmac.new(key.encode(), string_sign_temp.encode(), hashlib.sha256).hexdigest().upper()


# --- The signature -------------------------------------------------------------------------------------


def test_md5_sign_of_the_documented_example() -> None:
    by_hand = hashlib.md5(DOC_STRING_SIGN_TEMP.encode()).hexdigest().upper()  # noqa: S324 - the provider's MD5 sign
    assert by_hand == "9A0A8659F005D6984697E2CA0A9CF3B7"  # the value the documentation gives
    assert sign(DOC_PARAMS, DOC_KEY, "MD5") == "9A0A8659F005D6984697E2CA0A9CF3B7"


def test_hmac_sha256_sign_of_the_documented_example() -> None:
    by_hand = hmac.new(DOC_KEY.encode(), DOC_STRING_SIGN_TEMP.encode(), hashlib.sha256).hexdigest().upper()
    assert by_hand == "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    assert sign(DOC_PARAMS, DOC_KEY, "HMAC-SHA256") == by_hand


def test_sign_leaves_out_empty_fields_and_the_sign_and_reads_utf8() -> None:
    with_extras = DOC_PARAMS | {"attach": "", "sign": "9A0A8659F005D6984697E2CA0A9CF3B7"}
    assert sign(with_extras, DOC_KEY, "MD5") == "9A0A8659F005D6984697E2CA0A9CF3B7"
    chinese = DOC_PARAMS | {"body": "华东汽车-维修"}
    text = (
        "appid=wxd930ea5d5a258f4f&body=华东汽车-维修&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
        "&key=192006250b4c09247ec02edce69f6a2d"
    )
    by_hand = hashlib.md5(text.encode("utf-8")).hexdigest().upper()  # noqa: S324 - the provider's MD5 sign
    assert sign(chinese, DOC_KEY, "MD5") == by_hand
    with pytest.raises(ValueError, match="sign_type"):
        sign(DOC_PARAMS, DOC_KEY, "SHA1")


def test_verify_checks_every_field_the_answer_has() -> None:
    answer = {"return_code": "SUCCESS", "result_code": "SUCCESS", "total_fee": "100", "new_field": "x"}
    answer["sign"] = _hand_sign(answer, DOC_KEY, "HMAC-SHA256")
    assert verify(answer, DOC_KEY, "HMAC-SHA256")
    assert not verify(answer, DOC_KEY, "MD5")
    assert not verify(answer | {"total_fee": "10000"}, DOC_KEY, "HMAC-SHA256")
    assert not verify(answer | {"another_field": "y"}, DOC_KEY, "HMAC-SHA256")
    assert not verify({k: v for k, v in answer.items() if k != "sign"}, DOC_KEY, "HMAC-SHA256")
    assert not verify(answer, "another-key", "HMAC-SHA256")


# --- The XML -------------------------------------------------------------------------------------------


def test_xml_written_and_read() -> None:
    data = to_xml({"appid": "wx1", "body": "A & B <汽车>", "total_fee": "1"})
    assert data == "<xml><appid>wx1</appid><body>A &amp; B &lt;汽车&gt;</body><total_fee>1</total_fee></xml>".encode()
    assert parse_xml(data) == {"appid": "wx1", "body": "A & B <汽车>", "total_fee": "1"}
    answer = b"<xml>\n<return_code><![CDATA[SUCCESS]]></return_code>\n<total_fee>1</total_fee><attach></attach></xml>"
    assert parse_xml(answer) == {"return_code": "SUCCESS", "total_fee": "1", "attach": ""}


@pytest.mark.parametrize(
    "data",
    [
        # Entities that multiply ("billion laughs").
        b'<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><x>&b;</x></xml>',
        # An external entity that reads a file.
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY f SYSTEM "file:///etc/passwd">]><xml><x>&f;</x></xml>',
        b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><x>1</x></xml>',
        # The same in UTF-16, past the byte check: the parser's own refusal.
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY a "b">]><xml><x>&a;</x></xml>'.encode("utf-16"),
        b"<xml><x>&undeclared;</x></xml>",
        b"<xml><x>1</x>",
        b"",
        b"{}",
        b"<html><x>1</x></html>",
        b"<xml><x><y>1</y></x></xml>",
        b'<xml><x a="1">1</x></xml>',
        b"<xml><total_fee>1</total_fee><total_fee>100</total_fee></xml>",
    ],
)
def test_xml_read_defensively(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_xml(data)


# --- Payments at the counter ----------------------------------------------------------------------------


def test_paid_at_once(fake: FakeWeChatPay) -> None:
    till = Till(payment_provider())  # from the settings: HMAC-SHA256
    result = till.pay()
    assert result == PayResult(
        provider="wechat",
        state="success",
        out_trade_no=ORDER,
        transaction_id="4200000000000000000000000001",
        amount_fen=125000,
        paid_at=datetime(2026, 3, 14, 10, 15, 30, tzinfo=BEIJING),
        raw=result.raw,
    )
    assert result.raw["openid"] == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" and result.raw["total_fee"] == "125000"
    assert till.steps == [("micropay", "success", "")]
    assert till.sleeps == []
    assert fake.charges == ["4200000000000000000000000001"]
    assert fake.refused == []
    # The request as the fake received it.
    [request] = fake.received
    assert request.api == "micropay"
    assert request.content_type == "text/xml; charset=utf-8"
    assert request.body.startswith(b"<xml><appid>wx2421b1c4370ec43b</appid><mch_id>10000100</mch_id>")
    assert f"<body>{BODY}</body>".encode() in request.body
    params = dict(request.params)
    nonce, sent = params.pop("nonce_str"), params.pop("sign")
    assert re.fullmatch(r"[0-9a-f]{32}", nonce)
    assert params == {
        "appid": "wx2421b1c4370ec43b",
        "mch_id": "10000100",
        "sign_type": "HMAC-SHA256",
        "body": BODY,
        "out_trade_no": ORDER,
        "total_fee": "125000",
        "spbill_create_ip": "10.0.0.8",
        "auth_code": CODE,
    }
    string_sign_temp = (
        f"appid=wx2421b1c4370ec43b&auth_code={CODE}&body={BODY}&mch_id=10000100&nonce_str={nonce}"
        f"&out_trade_no={ORDER}&sign_type=HMAC-SHA256&spbill_create_ip=10.0.0.8&total_fee=125000"
        "&key=192006250b4c09247ec02edce69f6a2d"
    )
    assert sent == hmac.new(fake.api_key.encode(), string_sign_temp.encode(), hashlib.sha256).hexdigest().upper()


def test_md5_requests_and_answers(fake: FakeWeChatPay) -> None:
    result = Till(_wechat(fake, "MD5")).pay()
    assert result.state == "success"
    [request] = fake.received
    assert request.params["sign_type"] == "MD5"
    assert request.params["sign"] == _hand_sign(request.params, fake.api_key, "MD5")
    assert result.raw["sign"] == _hand_sign(dict(result.raw), fake.api_key, "MD5")


def test_customer_enters_the_password(fake: FakeWeChatPay) -> None:
    fake.paid_on_query = 2
    till = Till(_wechat(fake))
    result = till.pay()
    assert result.state == "success" and result.transaction_id == "4200000000000000000000000001"
    assert result.amount_fen == 125000
    assert till.steps == [
        ("micropay", "paying", "USERPAYING"),
        ("query", "paying", "USERPAYING"),
        ("query", "success", ""),
    ]
    assert till.answers[0][1].error_message == "需要用户输入支付密码"
    assert till.sleeps == [10.0, 10.0]
    assert [request.api for request in fake.received] == ["micropay", "orderquery", "orderquery"]
    query = dict(fake.received[1].params)
    assert {name: query.pop(name) for name in ("nonce_str", "sign")}["sign"] == _hand_sign(
        fake.received[1].params, fake.api_key, "MD5"
    )
    assert query == {"appid": fake.appid, "mch_id": fake.mch_id, "sign_type": "MD5", "out_trade_no": ORDER}
    assert fake.charges == [result.transaction_id]


def test_customer_never_confirms_the_order_is_revoked(fake: FakeWeChatPay) -> None:
    fake.paid_on_query = 99
    till = Till(_wechat(fake))
    result = till.pay(polls=3)
    assert result.state == "reversed"
    assert till.steps == [
        ("micropay", "paying", "USERPAYING"),
        ("query", "paying", "USERPAYING"),
        ("query", "paying", "USERPAYING"),
        ("query", "paying", "USERPAYING"),
        ("reverse", "reversed", ""),
    ]
    assert till.sleeps == [10.0, 10.0, 10.0]  # 30 s before the reverse (no sooner than 15 s, the doc says)
    assert fake.orders[ORDER].state == "REVOKED"
    assert fake.charges == [] and fake.refunds == []
    reverse = fake.received[-1]
    assert reverse.api == "reverse"
    assert {k: v for k, v in reverse.params.items() if k not in ("nonce_str", "sign")} == {
        "appid": fake.appid,
        "mch_id": fake.mch_id,
        "sign_type": "MD5",
        "out_trade_no": ORDER,
    }
    assert result.raw["recall"] == "N"


def test_system_error_after_the_payment_then_the_query_finds_it(fake: FakeWeChatPay) -> None:
    fake.lose_next = ["SYSTEMERROR"]
    till = Till(_wechat(fake))
    result = till.pay()
    assert result.state == "success" and result.transaction_id == "4200000000000000000000000001"
    assert till.steps == [("micropay", "unknown", "SYSTEMERROR"), ("query", "success", "")]
    assert till.answers[0][1].error_message == "系统超时"
    assert till.sleeps == [10.0]
    assert fake.charges == [result.transaction_id]


def test_system_error_before_anything_the_order_is_revoked(fake: FakeWeChatPay) -> None:
    fake.fail_next = {"micropay": ["SYSTEMERROR"]}
    till = Till(_wechat(fake))
    result = till.pay(polls=2)
    assert result.state == "reversed"
    assert till.steps == [
        ("micropay", "unknown", "SYSTEMERROR"),
        ("query", "unknown", "ORDERNOTEXIST"),
        ("query", "unknown", "ORDERNOTEXIST"),
        ("reverse", "reversed", ""),
    ]
    assert fake.charges == []
    assert fake.orders[ORDER].state == "REVOKED"  # the number is closed: it can never be paid later


def test_no_answer_after_the_payment_then_the_query_finds_it(fake: FakeWeChatPay) -> None:
    fake.drop_next = ["micropay"]
    till = Till(_wechat(fake))
    result = till.pay()
    assert result.state == "success"
    assert till.steps == [("micropay", "unknown", "ambiguous"), ("query", "success", "")]
    assert fake.charges == [result.transaction_id]


def test_no_answer_is_ambiguous(fake: FakeWeChatPay) -> None:
    fake.drop_next = ["micropay"]
    with pytest.raises(PaymentAmbiguous) as raised:
        _wechat(fake).micropay(out_trade_no=ORDER, amount_fen=100, auth_code=CODE, description=BODY, client_ip="::1")
    assert raised.value.temporary and raised.value.code == "ambiguous"


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("AUTHCODEEXPIRE", "failed"),
        ("AUTH_CODE_INVALID", "failed"),
        ("NOTENOUGH", "failed"),
        ("ORDERREVERSED", "failed"),
        ("USERPAYING", "paying"),
        ("SYSTEMERROR", "unknown"),
        ("BANKERROR", "unknown"),
        ("ORDERPAID", "unknown"),
        ("A_CODE_NOT_YET_DOCUMENTED", "unknown"),
    ],
)
def test_micropay_error_codes(fake: FakeWeChatPay, code: str, state: str) -> None:
    fake.fail_next = {"micropay": [code]}
    result = _wechat(fake).micropay(
        out_trade_no=ORDER, amount_fen=100, auth_code=CODE, description=BODY, client_ip="10.0.0.8"
    )
    assert (result.state, result.error_code, result.transaction_id, result.amount_fen) == (state, code, "", None)


def test_a_refused_code_ends_at_once(fake: FakeWeChatPay) -> None:
    fake.fail_next = {"micropay": ["AUTHCODEEXPIRE"]}
    till = Till(_wechat(fake))
    result = till.pay()
    assert (result.state, result.error_code) == ("failed", "AUTHCODEEXPIRE")
    assert result.error_message == "二维码已过期，请用户在微信上刷新后再试"
    assert till.sleeps == [] and [request.api for request in fake.received] == ["micropay"]


@pytest.mark.parametrize("api", ["micropay", "orderquery"])
def test_an_answer_with_a_bad_signature_is_never_taken_as_paid(fake: FakeWeChatPay, api: str) -> None:
    fake.paid_on_query = 1 if api == "orderquery" else None

    def tamper(answering: str, fields: dict[str, str]) -> None:
        if answering == api and fields.get("trade_state", "SUCCESS") == "SUCCESS":
            fields["total_fee"] = "1"  # changed after it was signed

    fake.tamper = tamper
    till = Till(_wechat(fake, "HMAC-SHA256"))
    with pytest.raises(BadSignature) as raised:
        till.pay()
    assert raised.value.code == "bad_signature" and not raised.value.temporary
    assert raised.value.raw["result_code"] == "SUCCESS" and raised.value.raw["total_fee"] == "1"
    assert all(result.state != "success" for _, result in till.answers)


def test_a_forged_sign_is_refused(fake: FakeWeChatPay) -> None:
    fake.tamper = lambda api, fields: fields.update(sign="9A0A8659F005D6984697E2CA0A9CF3B7")
    with pytest.raises(BadSignature):
        _wechat(fake).micropay(out_trade_no=ORDER, amount_fen=100, auth_code=CODE, description=BODY, client_ip="::1")


def test_a_wrong_amount_is_never_taken_as_paid(fake: FakeWeChatPay) -> None:
    fake.charge_fen = 1
    with pytest.raises(AmountMismatch) as raised:
        Till(_wechat(fake)).pay()
    assert raised.value.code == "amount_mismatch"
    assert raised.value.raw["total_fee"] == "1"


def test_a_wrong_amount_found_by_the_query_is_never_taken_as_paid(fake: FakeWeChatPay) -> None:
    fake.charge_fen, fake.paid_on_query = 1, 1
    till = Till(_wechat(fake))
    with pytest.raises(AmountMismatch) as raised:
        till.pay()
    assert raised.value.raw["total_fee"] == "1"
    assert till.steps == [("micropay", "paying", "USERPAYING")]  # the bad answer is not passed on as one


def test_the_same_order_paid_twice_is_one_payment(fake: FakeWeChatPay) -> None:
    first = Till(_wechat(fake)).pay()
    again = Till(_wechat(fake))
    second = again.pay(auth_code="134567890123456780")  # scanned again, another code
    assert again.steps == [("micropay", "unknown", "ORDERPAID"), ("query", "success", "")]
    assert second.state == "success"
    assert (second.transaction_id, second.amount_fen, second.paid_at) == (
        first.transaction_id,
        first.amount_fen,
        first.paid_at,
    )
    assert fake.charges == [first.transaction_id]  # taken once


def test_a_revocation_asked_again_while_the_provider_says_recall(fake: FakeWeChatPay) -> None:
    fake.paid_on_query = 99
    fake.fail_next = {"reverse": ["SYSTEMERROR"]}
    till = Till(_wechat(fake))
    result = till.pay(polls=1)
    assert result.state == "reversed"
    assert till.steps == [
        ("micropay", "paying", "USERPAYING"),
        ("query", "paying", "USERPAYING"),
        ("reverse", "unknown", "SYSTEMERROR"),
        ("reverse", "reversed", ""),
    ]
    assert till.answers[2][1].raw["recall"] == "Y"
    assert till.sleeps == [10.0, 10.0]


def test_a_revocation_that_stays_unclear_is_reported_unknown(fake: FakeWeChatPay) -> None:
    fake.paid_on_query = 99
    fake.fail_next = {"reverse": ["SYSTEMERROR", "SYSTEMERROR"]}
    till = Till(_wechat(fake))
    result = pay_until_final(
        till.provider,
        out_trade_no=ORDER,
        amount_fen=100,
        auth_code=CODE,
        description=BODY,
        client_ip="10.0.0.8",
        polls=0,
        wait=10.0,
        sleep=till.sleeps.append,
        reversals=2,
    )
    assert (result.state, result.error_code) == ("unknown", "SYSTEMERROR")
    assert [request.api for request in fake.received] == ["micropay", "reverse", "reverse"]


@pytest.mark.parametrize(
    ("trade_state", "state"),
    [
        ("SUCCESS", "success"),
        ("USERPAYING", "paying"),
        ("PAYERROR", "failed"),
        ("CLOSED", "failed"),
        ("REVOKED", "reversed"),
        ("REFUND", "reversed"),
        ("NOTPAY", "unknown"),
        ("A_STATE_NOT_YET_DOCUMENTED", "unknown"),
    ],
)
def test_query_trade_states(fake: FakeWeChatPay, trade_state: str, state: str) -> None:
    fake.orders[ORDER] = Order(
        ORDER, 100, CODE, BODY, trade_state, 100, "4200000000000000000000000009", "20260314101530"
    )
    result = _wechat(fake).query(out_trade_no=ORDER)
    assert result.state == state
    if state == "success":
        assert (result.transaction_id, result.amount_fen) == ("4200000000000000000000000009", 100)
        assert result.paid_at == datetime(2026, 3, 14, 10, 15, 30, tzinfo=BEIJING)
    else:
        assert (result.error_code, result.paid_at) == (trade_state, None)


def test_query_of_an_order_the_provider_does_not_know(fake: FakeWeChatPay) -> None:
    result = _wechat(fake).query(out_trade_no="RO-NEVER-SENT")
    assert (result.state, result.error_code, result.error_message) == ("unknown", "ORDERNOTEXIST", "订单不存在")


# --- Refused before or as a request ---------------------------------------------------------------------


def test_a_request_the_provider_cannot_verify_is_refused(fake: FakeWeChatPay) -> None:
    with pytest.raises(PaymentError) as raised:
        Till(_wechat(fake, api_key="another-key-0000000000000000000000")).pay()
    assert type(raised.value) is PaymentError  # not a bad signature of the answer: an unsigned refusal
    assert (raised.value.code, raised.value.temporary) == ("FAIL", False)
    assert "签名错误" in str(raised.value)
    assert fake.refused == ["签名错误"] and fake.charges == []


@pytest.mark.parametrize(
    "request_fields",
    [
        {"amount_fen": 0},
        {"amount_fen": -100},
        {"amount_fen": True},
        {"amount_fen": 12.5},
        {"out_trade_no": "R" * 33},
        {"out_trade_no": "RO 1"},
        {"out_trade_no": ""},
        {"auth_code": "28763443825664394x"},
        {"auth_code": ""},
        {"description": ""},
    ],
)
def test_a_request_out_of_bounds_is_never_sent(fake: FakeWeChatPay, request_fields: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"out_trade_no": ORDER, "amount_fen": 100, "auth_code": CODE, "description": BODY}
    fields |= request_fields
    with pytest.raises(PaymentError) as raised:
        _wechat(fake).micropay(client_ip="10.0.0.8", **fields)
    assert raised.value.code == "invalid_request"
    assert fake.received == []


def test_a_provider_that_cannot_be_reached(settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = WeChatPay(appid="wx1", mch_id="1", api_key="k", endpoint=f"http://127.0.0.1:{port}/", timeout=5)
    with pytest.raises(PaymentError) as raised:
        Till(provider).pay()
    assert (raised.value.code, raised.value.temporary) == ("unreachable", True)


def test_no_provider_configured(settings: Any) -> None:
    settings.AFTERSALES_PAYMENT_PROVIDER = ""
    provider = payment_provider()
    assert isinstance(provider, NoPaymentProvider)
    with pytest.raises(
        PaymentNotConfigured, match=r"^No payment provider is configured \(AFTERSALES_PAYMENT_PROVIDER\)\.$"
    ):
        Till(provider).pay()
    with pytest.raises(PaymentNotConfigured):
        provider.query(out_trade_no=ORDER)
    with pytest.raises(PaymentNotConfigured):
        provider.reverse(out_trade_no=ORDER)


def test_wechat_without_its_settings(settings: Any) -> None:
    settings.AFTERSALES_PAYMENT_PROVIDER = "wechat"
    settings.WECHAT_PAY_APPID = ""
    settings.WECHAT_PAY_MCH_ID = "10000100"
    settings.WECHAT_PAY_API_KEY = ""
    with pytest.raises(PaymentNotConfigured) as raised:
        payment_provider()
    assert str(raised.value) == "WeChat Pay is not configured: WECHAT_PAY_APPID, WECHAT_PAY_API_KEY missing."
    with pytest.raises(PaymentNotConfigured, match="sign_type"):
        WeChatPay(appid="wx1", mch_id="1", api_key="k", sign_type="SHA1")


def test_the_reverse_needs_the_merchant_certificate_in_production(tmp_path: Any) -> None:
    # Refused before anything is sent (no network in either case).
    provider = WeChatPay(appid="wx1", mch_id="1", api_key="k")  # the real endpoint, https
    with pytest.raises(PaymentNotConfigured, match="WECHAT_PAY_CERT_PATH"):
        provider.reverse(out_trade_no=ORDER)
    missing = WeChatPay(appid="wx1", mch_id="1", api_key="k", cert_path=str(tmp_path / "apiclient_cert.pem"))
    with pytest.raises(PaymentNotConfigured, match="certificate cannot be loaded"):
        missing.reverse(out_trade_no=ORDER)


# --- Refunds ---------------------------------------------------------------------------------------------

REFUND_NO = "TK2026031400001"
PAID_ID = "4200000000000000000000000009"
FIRST_REFUND_ID = "50300000000000000000000000001"
REASON = "客户取消保养项目"


def _paid(fake: FakeWeChatPay, fen: int = 125000, state: str = "SUCCESS") -> Order:
    order = Order(ORDER, fen, CODE, BODY, state, fen if state == "SUCCESS" else 0, PAID_ID, "20260314101530")
    fake.orders[ORDER] = order
    return order


def _refund(
    provider: PaymentProvider,
    *,
    out_refund_no: str = REFUND_NO,
    total_fen: int = 125000,
    refund_fen: int = 30000,
    reason: str = REASON,
) -> RefundResult:
    return provider.refund(
        out_trade_no=ORDER, out_refund_no=out_refund_no, total_fen=total_fen, refund_fen=refund_fen, reason=reason
    )


def _sent(request: Received) -> dict[str, str]:
    """The request's fields but its nonce and sign, once its sign is checked by hand."""
    assert request.params["sign"] == _hand_sign(request.params, FakeWeChatPay.api_key, request.params["sign_type"])
    return {name: value for name, value in request.params.items() if name not in ("nonce_str", "sign")}


def test_a_refund_taken_then_found_made(fake: FakeWeChatPay) -> None:
    order = _paid(fake)
    provider = payment_provider()  # from the settings: HMAC-SHA256, the fake over plain HTTP
    taken = _refund(provider)
    # 申请退款's SUCCESS only says the refund was taken: the query says when it is made.
    assert taken == RefundResult(
        provider="wechat",
        state="processing",
        out_refund_no=REFUND_NO,
        refund_id=FIRST_REFUND_ID,
        refund_fen=30000,
        raw=taken.raw,
    )
    assert (taken.raw["out_trade_no"], taken.raw["total_fee"], taken.raw["transaction_id"]) == (
        ORDER,
        "125000",
        PAID_ID,
    )
    done = provider.refund_query(out_refund_no=REFUND_NO)
    assert done == RefundResult(
        provider="wechat",
        state="success",
        out_refund_no=REFUND_NO,
        refund_id=FIRST_REFUND_ID,
        refund_fen=30000,
        raw=done.raw,
    )
    assert done.raw["refund_success_time_0"] == "2026-03-14 11:20:05"
    assert refund_checked(done, refund_fen=30000) is done
    assert fake.refund_ids == [FIRST_REFUND_ID]
    assert (order.refunded_fen, order.state) == (30000, "REFUND")
    assert fake.refused == []
    # The requests as the fake received them: over plain HTTP no certificate is sent.
    refund, query = fake.received
    assert (refund.api, refund.client_cert, query.api, query.client_cert) == ("refund", None, "refundquery", None)
    assert _sent(refund) == {
        "appid": fake.appid,
        "mch_id": fake.mch_id,
        "sign_type": "HMAC-SHA256",
        "out_trade_no": ORDER,
        "out_refund_no": REFUND_NO,
        "total_fee": "125000",
        "refund_fee": "30000",
        "refund_desc": REASON,
    }
    assert _sent(query) == {
        "appid": fake.appid,
        "mch_id": fake.mch_id,
        "sign_type": "HMAC-SHA256",
        "out_refund_no": REFUND_NO,
    }


def test_a_refund_processing_then_made(fake: FakeWeChatPay) -> None:
    _paid(fake)
    fake.refund_done_on_query = 2
    provider = _wechat(fake, "MD5")
    taken = _refund(provider, refund_fen=125000)
    first = provider.refund_query(out_refund_no=REFUND_NO)
    second = provider.refund_query(out_refund_no=REFUND_NO)
    assert [(r.state, r.refund_id, r.refund_fen, r.error_code) for r in (taken, first, second)] == [
        ("processing", FIRST_REFUND_ID, 125000, ""),
        ("processing", FIRST_REFUND_ID, 125000, ""),
        ("success", FIRST_REFUND_ID, 125000, ""),
    ]
    assert "refund_success_time_0" not in first.raw
    assert [request.params["sign_type"] for request in fake.received] == ["MD5", "MD5", "MD5"]
    assert fake.refund_ids == [FIRST_REFUND_ID]


def test_a_refund_above_what_is_left_is_refused(fake: FakeWeChatPay) -> None:
    order = _paid(fake)
    provider = _wechat(fake)
    first = _refund(provider, out_refund_no="TK1", refund_fen=100000)
    assert (first.state, first.refund_fen) == ("processing", 100000)
    above = _refund(provider, out_refund_no="TK2", refund_fen=25001)
    assert (above.state, above.error_code, above.error_message) == (
        "failed",
        "INVALID_REQUEST",
        "refund_fee大于可退金额",
    )
    assert (above.refund_id, above.refund_fen) == ("", None)
    assert (order.refunded_fen, fake.refund_ids) == (100000, [FIRST_REFUND_ID])  # nothing more refunded
    rest = _refund(provider, out_refund_no="TK3", refund_fen=25000)
    assert (rest.state, rest.refund_fen) == ("processing", 25000)
    nothing_left = _refund(provider, out_refund_no="TK4", refund_fen=1)
    assert (nothing_left.state, nothing_left.error_code, nothing_left.error_message) == (
        "failed",
        "ERROR",
        "订单已全额退款",
    )
    assert order.refunded_fen == 125000 and len(fake.refund_ids) == 2


def test_a_refund_above_the_order_is_never_sent(fake: FakeWeChatPay) -> None:
    _paid(fake)
    with pytest.raises(PaymentError) as raised:
        _refund(_wechat(fake), total_fen=125000, refund_fen=125001)
    assert (raised.value.code, raised.value.temporary) == ("invalid_request", False)
    assert str(raised.value) == "WeChat Pay: refund_fen 125001 is above the order's total_fen 125000"
    assert fake.received == [] and fake.refund_ids == []


def test_a_refund_of_an_order_not_paid_is_refused(fake: FakeWeChatPay) -> None:
    order = _paid(fake, state="REVOKED")
    result = _refund(_wechat(fake))
    assert (result.state, result.error_code, result.error_message) == ("failed", "ERROR", "订单状态错误")
    assert (order.refunded_fen, fake.refund_ids) == (0, [])


def test_the_same_refund_number_twice_is_one_refund(fake: FakeWeChatPay) -> None:
    order = _paid(fake)
    provider = _wechat(fake)
    first = _refund(provider)
    again = _refund(provider)
    assert (again.state, again.refund_id, again.refund_fen) == ("processing", first.refund_id, 30000)
    assert fake.refund_ids == [first.refund_id]
    assert order.refunded_fen == 30000
    # The number sent again with another amount: that number is taken; what it is, the query says.
    other = _refund(provider, refund_fen=20000)
    assert (other.state, other.error_code) == ("unknown", "REFUND_FEE_MISMATCH")
    assert fake.refund_ids == [first.refund_id] and order.refunded_fen == 30000
    found = provider.refund_query(out_refund_no=REFUND_NO)
    assert (found.state, found.refund_id, found.refund_fen) == ("success", first.refund_id, 30000)


def test_a_refund_whose_answer_was_an_error_is_made_once_when_sent_again(fake: FakeWeChatPay) -> None:
    order = _paid(fake)
    fake.lose_next_refund = ["SYSTEMERROR"]
    provider = _wechat(fake)
    lost = _refund(provider)
    assert (lost.state, lost.error_code, lost.error_message, lost.refund_id) == (
        "unknown",
        "SYSTEMERROR",
        "系统超时",
        "",
    )
    again = _refund(provider)  # 请不要更换商户退款单号，请使用相同参数再次调用API
    assert (again.state, again.refund_id, again.refund_fen) == ("processing", FIRST_REFUND_ID, 30000)
    assert fake.refund_ids == [FIRST_REFUND_ID] and order.refunded_fen == 30000


def test_a_refund_without_an_answer_is_ambiguous_and_made_once_when_sent_again(fake: FakeWeChatPay) -> None:
    order = _paid(fake)
    fake.drop_next = ["refund"]
    provider = _wechat(fake)
    with pytest.raises(PaymentAmbiguous) as raised:
        _refund(provider)
    assert (raised.value.code, raised.value.temporary) == ("ambiguous", True)
    again = _refund(provider)
    assert (again.state, again.refund_id) == ("processing", FIRST_REFUND_ID)
    assert fake.refund_ids == [FIRST_REFUND_ID] and order.refunded_fen == 30000


@pytest.mark.parametrize(
    ("code", "state"),
    [
        ("NOTENOUGH", "failed"),
        ("ERROR", "failed"),
        ("TRADE_OVERDUE", "failed"),
        ("USER_ACCOUNT_ABNORMAL", "failed"),
        ("FREQUENCY_LIMITED", "failed"),
        ("SYSTEMERROR", "unknown"),
        ("BIZERR_NEED_RETRY", "unknown"),
        ("REFUND_FEE_MISMATCH", "unknown"),
        ("A_CODE_NOT_YET_DOCUMENTED", "unknown"),
    ],
)
def test_refund_error_codes(fake: FakeWeChatPay, code: str, state: str) -> None:
    _paid(fake)
    fake.fail_next = {"refund": [code]}
    result = _refund(_wechat(fake))
    assert (result.state, result.error_code, result.refund_id, result.refund_fen) == (state, code, "", None)
    assert fake.refund_ids == []


@pytest.mark.parametrize("api", ["refund", "refundquery"])
def test_a_refund_answer_with_a_bad_signature_is_never_taken(fake: FakeWeChatPay, api: str) -> None:
    _paid(fake)

    def tamper(answering: str, fields: dict[str, str]) -> None:
        if answering == api:
            fields["refund_fee" if api == "refund" else "refund_fee_0"] = "125000"  # changed after it was signed

    provider = _wechat(fake, "HMAC-SHA256")
    if api == "refundquery":
        _refund(provider)
    fake.tamper = tamper
    with pytest.raises(BadSignature) as raised:
        if api == "refund":
            _refund(provider)
        else:
            provider.refund_query(out_refund_no=REFUND_NO)
    assert (raised.value.code, raised.value.temporary) == ("bad_signature", False)
    assert raised.value.raw["result_code"] == "SUCCESS"


def test_a_refund_of_another_amount_is_never_taken(fake: FakeWeChatPay) -> None:
    _paid(fake)
    fake.refund_fen_instead = 3000
    provider = _wechat(fake)
    with pytest.raises(AmountMismatch) as raised:
        _refund(provider)
    assert raised.value.code == "amount_mismatch" and raised.value.raw["refund_fee"] == "3000"
    assert str(raised.value) == f"wechat: refund {REFUND_NO} reported for 3000 fen, 30000 asked"
    found = provider.refund_query(out_refund_no=REFUND_NO)
    assert (found.state, found.refund_fen) == ("success", 3000)
    with pytest.raises(AmountMismatch):
        refund_checked(found, refund_fen=30000)


@pytest.mark.parametrize(
    ("status", "state", "message"),
    [
        ("SUCCESS", "success", ""),
        ("PROCESSING", "processing", ""),
        ("REFUNDCLOSE", "failed", "退款关闭"),
        ("CHANGE", "failed", "退款异常"),
        ("A_STATUS_NOT_YET_DOCUMENTED", "unknown", ""),
    ],
)
def test_refund_query_statuses(fake: FakeWeChatPay, status: str, state: str, message: str) -> None:
    _paid(fake)
    fake.refund_done_on_query = 99
    refund_id = "50300000000000000000000000042"
    fake.refund_requests[REFUND_NO] = Refund(REFUND_NO, ORDER, 125000, 30000, refund_id, 30000, status)
    result = _wechat(fake).refund_query(out_refund_no=REFUND_NO)
    assert (result.state, result.refund_id, result.refund_fen) == (state, refund_id, 30000)
    if state in ("success", "processing"):
        assert (result.error_code, result.error_message) == ("", "")
    else:
        assert (result.error_code, result.error_message) == (status, message)


def test_refund_query_of_a_refund_the_provider_does_not_know(fake: FakeWeChatPay) -> None:
    result = _wechat(fake).refund_query(out_refund_no="TK-NEVER-SENT")
    assert (result.state, result.error_code, result.error_message) == ("unknown", "REFUNDNOTEXIST", "退款订单查询失败")
    fake.fail_next = {"refundquery": ["SYSTEMERROR"]}
    result = _wechat(fake).refund_query(out_refund_no="TK-NEVER-SENT")
    assert (result.state, result.error_code) == ("unknown", "SYSTEMERROR")


def test_refund_query_whose_answer_names_another_refund(fake: FakeWeChatPay) -> None:
    _paid(fake)
    provider = _wechat(fake, "HMAC-SHA256")
    _refund(provider)

    def another(api: str, fields: dict[str, str]) -> None:  # a signed answer about another refund
        fields["out_refund_no_0"] = "TK-ANOTHER"
        fields["sign"] = fake_sign(fields, fake.api_key, "HMAC-SHA256")

    fake.tamper = another
    result = provider.refund_query(out_refund_no=REFUND_NO)
    assert (result.state, result.refund_id, result.refund_fen) == ("unknown", "", None)
    assert result.error_message == f"the answer lists refund {REFUND_NO} 0 times"


def test_the_refund_reason_as_the_customer_reads_it(fake: FakeWeChatPay) -> None:
    _paid(fake)
    provider = _wechat(fake)
    _refund(provider, out_refund_no="TK1", refund_fen=100, reason="保养项目取消\n" + "退" * 40)
    _refund(provider, out_refund_no="TK2", refund_fen=100, reason="  ")
    long, empty = (request.params for request in fake.received)
    # refund_desc: String(80), cut at 80 bytes of UTF-8 on a character's end (26 characters of 3 bytes).
    assert long["refund_desc"] == "保养项目取消" + "退" * 20
    assert len(long["refund_desc"].encode()) == 78
    assert "refund_desc" not in empty


@pytest.mark.parametrize(
    "request_fields",
    [
        {"refund_fen": 0},
        {"refund_fen": -100},
        {"refund_fen": True},
        {"refund_fen": 12.5},
        {"total_fen": 0},
        {"total_fen": "125000"},
        {"out_refund_no": "T" * 65},
        {"out_refund_no": "TK 1"},
        {"out_refund_no": ""},
        {"out_trade_no": "RO 1"},
    ],
)
def test_a_refund_out_of_bounds_is_never_sent(fake: FakeWeChatPay, request_fields: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "out_trade_no": ORDER,
        "out_refund_no": REFUND_NO,
        "total_fen": 125000,
        "refund_fen": 100,
        "reason": REASON,
    } | request_fields
    with pytest.raises(PaymentError) as raised:
        _wechat(fake).refund(**fields)
    assert raised.value.code == "invalid_request"
    with pytest.raises(PaymentError, match="out_refund_no"):
        _wechat(fake).refund_query(out_refund_no="TK 1")
    assert fake.received == []


def test_refunds_without_a_provider(settings: Any) -> None:
    settings.AFTERSALES_PAYMENT_PROVIDER = ""
    provider = payment_provider()
    message = r"^No payment provider is configured \(AFTERSALES_PAYMENT_PROVIDER\)\.$"
    with pytest.raises(PaymentNotConfigured, match=message):
        _refund(provider)
    with pytest.raises(PaymentNotConfigured, match=message):
        provider.refund_query(out_refund_no=REFUND_NO)


def test_refunds_need_the_merchant_certificate(settings: Any, tmp_path: Any) -> None:
    # Refused before anything is sent (no network in any case): the real endpoint is https.
    settings.AFTERSALES_PAYMENT_PROVIDER = "wechat"
    settings.WECHAT_PAY_APPID, settings.WECHAT_PAY_MCH_ID, settings.WECHAT_PAY_API_KEY = "wx1", "1", "k"
    settings.WECHAT_PAY_ENDPOINT = "https://api.mch.weixin.qq.com/"
    settings.WECHAT_PAY_CERT_PATH = settings.WECHAT_PAY_KEY_PATH = ""
    with pytest.raises(PaymentNotConfigured) as raised:
        _refund(payment_provider())
    assert str(raised.value) == (
        "WeChat Pay: /secapi/pay/refund needs the merchant's API client certificate (apiclient_cert.pem, "
        "apiclient_key.pem): WECHAT_PAY_CERT_PATH and WECHAT_PAY_KEY_PATH are not set."
    )
    assert (raised.value.code, raised.value.temporary) == ("not_configured", False)
    settings.WECHAT_PAY_CERT_PATH = str(tmp_path / "apiclient_cert.pem")
    settings.WECHAT_PAY_KEY_PATH = str(tmp_path / "apiclient_key.pem")
    with pytest.raises(PaymentNotConfigured, match="certificate cannot be loaded"):
        _refund(payment_provider())


def test_a_refund_over_https_presents_the_merchant_certificate(tmp_path: Any, monkeypatch: Any) -> None:
    tls = merchant_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))  # the client trusts the fake's server certificate
    with fake_wechat_running(tls=tls.server) as fake:
        assert fake.endpoint.startswith("https://127.0.0.1:")
        _paid(fake)
        provider = _wechat(fake, cert_path=str(tls.cert_file), key_path=str(tls.key_file))
        taken = _refund(provider)
        done = provider.refund_query(out_refund_no=REFUND_NO)
        without = _wechat(fake)
        with pytest.raises(PaymentNotConfigured, match="WECHAT_PAY_CERT_PATH"):
            _refund(without, out_refund_no="TK2")
    assert (taken.state, done.state, done.refund_fen) == ("processing", "success", 30000)
    # The certificate goes with the refund (双向证书), the query needs none and is sent none.
    assert [(request.api, request.client_cert) for request in fake.received] == [
        ("refund", "10000100"),
        ("refundquery", ""),
    ]
    assert fake.refund_ids == [FIRST_REFUND_ID]
