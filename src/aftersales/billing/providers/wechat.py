"""WeChat Pay API v2 (微信支付, 普通商户 直连模式): 付款码支付 (micropay), 查询订单 (orderquery), 撤销订单
(reverse), 申请退款 (refund) and 查询退款 (refundquery), XML over HTTPS.

Every request is a flat ``<xml>`` of string fields, signed as the v2 签名生成算法 prescribes
(pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=4_3, 安全规范): every field with a non-empty value
but ``sign``, sorted by name (ASCII), as ``name=value`` joined with ``&``, then ``&key=<API key>``; the
sign is the uppercase hex MD5 of that, or its HMAC-SHA256 keyed with the API key (``sign_type``
HMAC-SHA256). Every answer whose ``return_code`` is SUCCESS is signed the same way and verified here, over
every field it has (the provider may add fields); one whose sign does not verify is ``BadSignature``,
never taken as paid (nor as refunded). ``return_code`` only says the request was read (通信标识);
``result_code`` and ``err_code`` (and ``trade_state`` of a query, ``refund_status_$n`` of a refund query) say
what became of the payment or the refund. Amounts are ``total_fee`` and ``refund_fee``, integer fen; times
are ``yyyyMMddHHmmss``, Beijing time. Revoking and refunding (the ``/secapi/`` paths) need the merchant's API
client certificate (apiclient_cert.pem, apiclient_key.pem) on the TLS connection (请求需要双向证书).

The sections cited are those of the v2 documentation for 付款码支付 at
pay.weixin.qq.com/wiki/doc/api/micropay.php (now also pay.weixin.qq.com/doc/v2/merchant/4011937125):
chapter 4_3 安全规范 (the signature), 9_10 提交付款码支付, 9_2 查询订单, 9_11 撤销订单, 9_4 申请退款,
9_5 查询退款.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import socket
import ssl
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from zoneinfo import ZoneInfo

from django.conf import settings

from aftersales.billing.providers import (
    AmountMismatch,
    BadSignature,
    PaymentAmbiguous,
    PaymentError,
    PaymentNotConfigured,
    PayResult,
    PayState,
    RefundResult,
    RefundState,
    refund_checked,
)

DEFAULT_ENDPOINT = "https://api.mch.weixin.qq.com/"
MICROPAY = "/pay/micropay"
ORDERQUERY = "/pay/orderquery"
REVERSE = "/secapi/pay/reverse"  # 撤销订单: 请求需要双向证书 (the merchant certificate)
REFUND = "/secapi/pay/refund"  # 申请退款: 请求需要双向证书
REFUNDQUERY = "/pay/refundquery"  # 查询退款: 不需要证书
# sign_type: 目前支持HMAC-SHA256和MD5，默认为MD5 (every API here takes it alike); we always send it, so the
# provider never has to guess.
SIGN_TYPES = frozenset({"MD5", "HMAC-SHA256"})
MAX_ANSWER = 64 * 1024  # bytes: an answer is a few hundred
_BEIJING = ZoneInfo("Asia/Shanghai")
# out_trade_no: 商户系统内部订单号，要求32个字符内，只能是数字、大小写字母_-|*@ (micropay, 请求参数).
_OUT_TRADE_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,32}")
# auth_code: 扫码支付授权码 (the user's payment code: 18 digits starting 10-15 today; the provider checks
# the prefix and answers AUTH_CODE_INVALID, so a future prefix is not refused here).
_AUTH_CODE = re.compile(r"[0-9]{1,128}")
# out_refund_no: 商户系统内部的退款单号，商户系统内部唯一，只能是数字、大小写字母_-|*@ ，同一退款单号多次请求只退一笔
# (申请退款, 请求参数: String(64)).
_OUT_REFUND_NO = re.compile(r"[0-9A-Za-z_\-|*@]{1,64}")
# refund_desc: 退款原因, String(80), 若商户传入，会在下发给用户的退款消息中体现退款原因. Counted here in bytes of
# UTF-8 (the stricter reading of String(80)); the reason is cut there, our own record keeps it whole.
REFUND_DESC_BYTES = 80

# 付款码支付, 错误码 (micropay.php?chapter=9_10): these are 支付确认失败, nothing was taken. SYSTEMERROR
# and BANKERROR (支付结果未知) are settled by querying the order, USERPAYING (用户支付中，需要输入密码)
# by querying it until final, ORDERPAID (订单已支付: this order number was paid by an earlier request) by
# querying it for that payment, and so is a code not listed here: only a known failure is taken as one.
MICROPAY_FAILED = frozenset(
    {
        "PARAM_ERROR",
        "NOAUTH",
        "AUTHCODEEXPIRE",
        "NOTENOUGH",
        "NOTSUPORTCARD",
        "ORDERCLOSED",
        "ORDERREVERSED",
        "AUTH_CODE_ERROR",
        "AUTH_CODE_INVALID",
        "XML_FORMAT_ERROR",
        "REQUIRE_POST_METHOD",
        "SIGNERROR",
        "LACK_PARAMS",
        "NOT_UTF8",
        "BUYER_MISMATCH",
        "APPID_NOT_EXIST",
        "MCHID_NOT_EXIST",
        "OUT_TRADE_NO_USED",
        "APPID_MCHID_NOT_MATCH",
        "INVALID_REQUEST",
        "TRADE_ERROR",
    }
)
# 查询订单 (micropay.php?chapter=9_2), trade_state: SUCCESS 支付成功, REFUND 转入退款 (paid, then money
# returned: not a payment of the bill any more), NOTPAY 未支付, CLOSED 已关闭, REVOKED 已撤销（付款码支付）,
# USERPAYING 用户支付中（付款码支付）, PAYERROR 支付失败(其他原因，如银行返回失败). NOTPAY and a state not
# listed are not final for a scanned code: asked again, then revoked.
TRADE_STATES: dict[str, PayState] = {
    "SUCCESS": "success",
    "REFUND": "reversed",
    "NOTPAY": "unknown",
    "CLOSED": "failed",
    "REVOKED": "reversed",
    "USERPAYING": "paying",
    "PAYERROR": "failed",
}
MICROPAY_PENDING: dict[str, PayState] = {"USERPAYING": "paying"}
# 申请退款, 错误码 (micropay.php?chapter=9_4): these are refusals, nothing was refunded (TRADE_OVERDUE: paid more
# than a year ago; NOTENOUGH: the merchant's balance cannot cover it; USER_ACCOUNT_ABNORMAL: the customer's
# account is closed; ERROR: 业务错误, e.g. 订单已全额退款; INVALID_REQUEST, e.g. refund_fee大于可退金额;
# FREQUENCY_LIMITED, INVALID_REQ_TOO_MUCH and ORDER_NOT_READY: not taken now, the same refund number may be
# sent again later). SYSTEMERROR and BIZERR_NEED_RETRY (请不要更换商户退款单号，请使用相同参数再次调用API) leave
# the refund unknown: sent again with the same refund number, or asked about; and so does a code not listed
# here. So does REFUND_FEE_MISMATCH (订单金额或退款金额与之前请求不一致): this refund number was taken before
# with other amounts, and that refund may well be made: the refund query says what it is.
REFUND_FAILED = frozenset(
    {
        "TRADE_OVERDUE",
        "ERROR",
        "USER_ACCOUNT_ABNORMAL",
        "INVALID_REQ_TOO_MUCH",
        "NOTENOUGH",
        "INVALID_TRANSACTIONID",
        "PARAM_ERROR",
        "APPID_NOT_EXIST",
        "MCHID_NOT_EXIST",
        "REQUIRE_POST_METHOD",
        "SIGNERROR",
        "XML_FORMAT_ERROR",
        "FREQUENCY_LIMITED",
        "NOAUTH",
        "CERT_ERROR",
        "ORDER_NOT_READY",
        "INVALID_REQUEST",
    }
)
# 查询退款 (micropay.php?chapter=9_5), refund_status_$n: SUCCESS 退款成功, REFUNDCLOSE 退款关闭, PROCESSING 退款处理中,
# CHANGE 退款异常 (退款到银行发现用户的卡作废或者冻结了，导致原路退款银行卡失败: the money is back with the
# merchant and a person settles it on the merchant platform or otherwise: not refunded through the provider).
# A status not listed is not final: asked again.
REFUND_STATES: dict[str, RefundState] = {
    "SUCCESS": "success",
    "PROCESSING": "processing",
    "REFUNDCLOSE": "failed",
    "CHANGE": "failed",
}
REFUND_STATUS_DESCRIPTIONS = {"REFUNDCLOSE": "退款关闭", "CHANGE": "退款异常"}
_REFUND_INDEX = re.compile(r"out_refund_no_([0-9]{1,3})")


def sign(params: Mapping[str, str], key: str, sign_type: str) -> str:
    """The v2 signature of ``params`` (签名生成算法): see the module's docstring."""
    string_a = "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "sign" and params[name] != "")
    string_sign_temp = f"{string_a}&key={key}"
    if sign_type == "MD5":
        return hashlib.md5(string_sign_temp.encode()).hexdigest().upper()  # noqa: S324 - the provider's MD5 sign
    if sign_type == "HMAC-SHA256":
        return hmac.new(key.encode(), string_sign_temp.encode(), hashlib.sha256).hexdigest().upper()
    raise ValueError(f"unknown sign_type {sign_type!r}")


def verify(answer: Mapping[str, str], key: str, sign_type: str) -> bool:
    """Whether ``answer`` carries the sign of its own fields (验证调用返回: the ``sign`` field is left out)."""
    given = answer.get("sign", "")
    return bool(given) and hmac.compare_digest(given.encode(), sign(answer, key, sign_type).encode())


def to_xml(params: Mapping[str, str]) -> bytes:
    """``<xml><name>value</name>...</xml>``, UTF-8, the values escaped as XML text."""
    root = ET.Element("xml")
    for name, value in params.items():
        ET.SubElement(root, name).text = value
    return ET.tostring(root, encoding="unicode").encode()


class _NoDoctype(ET.TreeBuilder):
    def doctype(self, name: str, pubid: str, system: str) -> None:
        # Entities (the internal ones that multiply, the external ones that read files) are declared in a
        # DOCTYPE; the provider never sends one.
        raise ValueError("a DOCTYPE is not accepted")


def parse_xml(data: bytes) -> dict[str, str]:
    """The fields of a flat ``<xml>`` answer; ValueError for anything else: a DOCTYPE or an entity
    declaration, XML that is not well formed, another root, a nested or repeated field."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("a DOCTYPE or an entity declaration is not accepted")
    parser = ET.XMLParser(target=_NoDoctype())  # noqa: S314 - no DOCTYPE, so no entity, gets through
    try:
        parser.feed(data)
        root = parser.close()
    except ET.ParseError as error:
        raise ValueError(f"not well-formed XML: {error}") from None
    if root.tag != "xml":
        raise ValueError(f"the root is <{root.tag}>, not <xml>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child) or child.attrib:
            raise ValueError(f"<{child.tag}> is not a plain field")
        if child.tag in fields:
            raise ValueError(f"<{child.tag}> is given twice")
        fields[child.tag] = child.text or ""
    return fields


def _invalid(message: str) -> PaymentError:
    """A request refused before it is sent: nothing reached the provider."""
    return PaymentError(f"WeChat Pay: {message}", temporary=False, code="invalid_request")


def _fen(value: str | None) -> int | None:
    return int(value) if value is not None and value.isascii() and value.isdigit() else None


def _positive_fen(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _refund_desc(reason: str) -> str:
    """The reason as refund_desc: printable characters only, at most REFUND_DESC_BYTES of UTF-8, cut at a
    character's end."""
    printable = "".join(character for character in reason if character.isprintable()).strip()
    return printable.encode()[:REFUND_DESC_BYTES].decode(errors="ignore")


def _beijing_time(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y%m%d%H%M%S").replace(tzinfo=_BEIJING)
    except ValueError:
        return None


class WeChatPay:
    """The WeChat Pay v2 adapter (``PaymentProvider``) of one merchant (``appid`` bound to ``mch_id``)."""

    name = "wechat"

    def __init__(
        self,
        *,
        appid: str,
        mch_id: str,
        api_key: str,
        sign_type: str = "HMAC-SHA256",
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = 10.0,
        cert_path: str = "",
        key_path: str = "",
    ) -> None:
        if sign_type not in SIGN_TYPES:
            raise PaymentNotConfigured(f"WeChat Pay sign_type {sign_type!r} is not one of MD5, HMAC-SHA256.")
        self.appid = appid
        self.mch_id = mch_id
        self.api_key = api_key
        self.sign_type = sign_type
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.cert_path = cert_path
        self.key_path = key_path

    def _context(self) -> ssl.SSLContext:
        """The TLS context with the merchant certificate (撤销订单 and 申请退款 need it: 双向证书)."""
        context = ssl.create_default_context()
        try:
            context.load_cert_chain(self.cert_path, self.key_path or None)
        except (OSError, ssl.SSLError) as error:
            raise PaymentNotConfigured(f"WeChat Pay: the merchant certificate cannot be loaded: {error}") from None
        return context

    def _call(self, path: str, params: Mapping[str, str], *, certificate: bool = False) -> dict[str, str]:
        """Send one signed request, return the answer's fields once its return_code is SUCCESS and its sign
        verifies."""
        context = None
        # The certificate is for TLS: a plain-HTTP endpoint (a local stand-in) is sent none.
        if certificate and self.endpoint.startswith("https:"):
            if not self.cert_path:
                raise PaymentNotConfigured(
                    f"WeChat Pay: {path} needs the merchant's API client certificate (apiclient_cert.pem, "
                    "apiclient_key.pem): WECHAT_PAY_CERT_PATH and WECHAT_PAY_KEY_PATH are not set."
                )
            context = self._context()
        signed = {
            "appid": self.appid,
            "mch_id": self.mch_id,
            "nonce_str": secrets.token_hex(16),  # 随机字符串，不长于32位
            "sign_type": self.sign_type,
            **params,
        }
        signed["sign"] = sign(signed, self.api_key, self.sign_type)
        request = urllib.request.Request(  # noqa: S310 - the endpoint is configured, https in production
            self.endpoint + path,
            data=to_xml(signed),
            method="POST",
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=context) as response:  # noqa: S310
                data = response.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code >= 500:  # the request reached a server that failed: it may have been acted on
                raise PaymentAmbiguous(f"WeChat Pay answered HTTP {error.code}") from None
            raise PaymentError(
                f"WeChat Pay answered HTTP {error.code}", temporary=False, code=f"http_{error.code}"
            ) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError | socket.gaierror):
                # Nothing was sent: the provider could not be reached at all.
                raise PaymentError(
                    f"WeChat Pay could not be reached: {error.reason}", temporary=True, code="unreachable"
                ) from None
            if isinstance(error.reason, ssl.SSLError):  # the connection was refused before anything was sent
                raise PaymentError(f"WeChat Pay: TLS failed: {error.reason}", temporary=False, code="tls") from None
            raise PaymentAmbiguous(f"WeChat Pay: the request may have been taken: {error.reason}") from None
        except OSError as error:  # a timeout or a drop after sending
            raise PaymentAmbiguous(f"WeChat Pay: the request may have been taken: {error}") from None
        if len(data) > MAX_ANSWER:
            raise PaymentAmbiguous(f"WeChat Pay: the answer is longer than {MAX_ANSWER} bytes")
        try:
            answer = parse_xml(data)
        except ValueError as error:
            raise PaymentAmbiguous(f"WeChat Pay: the answer cannot be read: {error}") from None
        if answer.get("return_code") != "SUCCESS":
            # 返回状态码 FAIL: the request was not taken (its sign, its format); such an answer is not signed.
            message = f"WeChat Pay refused the request: {answer.get('return_msg', '')}"
            raise PaymentError(message, temporary=False, code=answer.get("return_code") or "FAIL", raw=answer)
        if not verify(answer, self.api_key, self.sign_type):
            raise BadSignature(f"WeChat Pay: the answer to {path} does not carry our signature", raw=answer)
        return answer

    def _result(self, state: PayState, out_trade_no: str, answer: dict[str, str]) -> PayResult:
        paid = state == "success"
        return PayResult(
            provider=self.name,
            state=state,
            out_trade_no=out_trade_no,
            transaction_id=answer.get("transaction_id", ""),
            amount_fen=_fen(answer.get("total_fee")),
            paid_at=_beijing_time(answer.get("time_end")) if paid else None,
            error_code="" if paid else answer.get("err_code", answer.get("trade_state", "")),
            error_message="" if paid else answer.get("err_code_des", answer.get("trade_state_desc", "")),
            raw=MappingProxyType(answer),
        )

    def micropay(
        self, *, out_trade_no: str, amount_fen: int, auth_code: str, description: str, client_ip: str
    ) -> PayResult:
        # total_fee: 订单总金额，单位为分，只能为整数.
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise _invalid(f"amount_fen must be a positive integer, not {amount_fen!r}")
        if not _OUT_TRADE_NO.fullmatch(out_trade_no):
            raise _invalid(f"out_trade_no {out_trade_no!r} is not 1-32 of 0-9 A-Z a-z _-|*@")
        if not _AUTH_CODE.fullmatch(auth_code):
            raise _invalid("auth_code is not a payment code (digits)")
        if not description:
            raise _invalid("the description (body) is required")
        answer = self._call(
            MICROPAY,
            {
                "body": description,
                "out_trade_no": out_trade_no,
                "total_fee": str(amount_fen),
                "spbill_create_ip": client_ip,
                "auth_code": auth_code,
            },
        )
        if answer.get("result_code") == "SUCCESS":
            result = self._result("success", out_trade_no, answer)
            if result.amount_fen != amount_fen:
                raise AmountMismatch(
                    f"WeChat Pay: order {out_trade_no} paid {answer.get('total_fee')!r} fen, {amount_fen} asked",
                    raw=answer,
                )
            return result
        code = answer.get("err_code", "")
        state: PayState = "failed" if code in MICROPAY_FAILED else MICROPAY_PENDING.get(code, "unknown")
        return self._result(state, out_trade_no, answer)

    def query(self, *, out_trade_no: str) -> PayResult:
        answer = self._call(ORDERQUERY, {"out_trade_no": out_trade_no})
        if answer.get("result_code") != "SUCCESS":
            # SYSTEMERROR (ask again), ORDERNOTEXIST (此交易订单号不存在: not known yet, or never made): unclear.
            return self._result("unknown", out_trade_no, answer)
        return self._result(TRADE_STATES.get(answer.get("trade_state", ""), "unknown"), out_trade_no, answer)

    def reverse(self, *, out_trade_no: str) -> PayResult:
        # 撤销订单 (micropay.php?chapter=9_11): recall, 是否需要继续调用撤销，Y-需要，N-不需要.
        answer = self._call(REVERSE, {"out_trade_no": out_trade_no}, certificate=True)
        done = answer.get("result_code") == "SUCCESS" and answer.get("recall") != "Y"
        return self._result("reversed" if done else "unknown", out_trade_no, answer)

    def _refund_result(
        self,
        state: RefundState,
        out_refund_no: str,
        answer: dict[str, str],
        *,
        suffix: str = "",
        error_code: str = "",
        error_message: str = "",
    ) -> RefundResult:
        return RefundResult(
            provider=self.name,
            state=state,
            out_refund_no=out_refund_no,
            refund_id=answer.get(f"refund_id{suffix}", ""),
            refund_fen=_fen(answer.get(f"refund_fee{suffix}")),
            error_code=error_code,
            error_message=error_message,
            raw=MappingProxyType(answer),
        )

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, total_fen: int, refund_fen: int, reason: str
    ) -> RefundResult:
        # 申请退款 (micropay.php?chapter=9_4): total_fee 订单总金额 and refund_fee 退款总金额, 单位为分，只能为整数;
        # 申请退款总金额不能超过订单金额. A refund of part of the order is one refund number of its own; a refund
        # that failed is sent again with the same number (请不要更换退款单号，请使用原商户退款单号).
        if not _positive_fen(total_fen):
            raise _invalid(f"total_fen must be a positive integer, not {total_fen!r}")
        if not _positive_fen(refund_fen):
            raise _invalid(f"refund_fen must be a positive integer, not {refund_fen!r}")
        if refund_fen > total_fen:
            raise _invalid(f"refund_fen {refund_fen} is above the order's total_fen {total_fen}")
        if not _OUT_TRADE_NO.fullmatch(out_trade_no):
            raise _invalid(f"out_trade_no {out_trade_no!r} is not 1-32 of 0-9 A-Z a-z _-|*@")
        if not _OUT_REFUND_NO.fullmatch(out_refund_no):
            raise _invalid(f"out_refund_no {out_refund_no!r} is not 1-64 of 0-9 A-Z a-z _-|*@")
        params = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "total_fee": str(total_fen),
            "refund_fee": str(refund_fen),
        }
        if description := _refund_desc(reason):
            params["refund_desc"] = description
        answer = self._call(REFUND, params, certificate=True)
        if answer.get("result_code") == "SUCCESS":
            # SUCCESS退款申请接收成功，结果通过退款查询接口查询: taken, not yet paid out.
            return refund_checked(self._refund_result("processing", out_refund_no, answer), refund_fen=refund_fen)
        code = answer.get("err_code", "")
        return self._refund_result(
            "failed" if code in REFUND_FAILED else "unknown",
            out_refund_no,
            answer,
            error_code=code,
            error_message=answer.get("err_code_des", ""),
        )

    def refund_query(self, *, out_refund_no: str) -> RefundResult:
        # 查询退款 (micropay.php?chapter=9_5), asked by out_refund_no: the answer lists the refunds it found as
        # out_refund_no_$n, refund_id_$n, refund_fee_$n (申请退款金额), refund_status_$n, $n from 0.
        if not _OUT_REFUND_NO.fullmatch(out_refund_no):
            raise _invalid(f"out_refund_no {out_refund_no!r} is not 1-64 of 0-9 A-Z a-z _-|*@")
        answer = self._call(REFUNDQUERY, {"out_refund_no": out_refund_no})
        if answer.get("result_code") != "SUCCESS":
            # SYSTEMERROR (ask again), REFUNDNOTEXIST (退款订单查询失败: not taken yet, or never sent): unclear.
            code, message = answer.get("err_code", ""), answer.get("err_code_des", "")
            return self._refund_result("unknown", out_refund_no, answer, error_code=code, error_message=message)
        found = [
            match[1]
            for name, value in answer.items()
            if (match := _REFUND_INDEX.fullmatch(name)) is not None and value == out_refund_no
        ]
        if len(found) != 1:
            return self._refund_result(
                "unknown",
                out_refund_no,
                answer,
                error_message=f"the answer lists refund {out_refund_no} {len(found)} times",
            )
        suffix = f"_{found[0]}"
        status = answer.get(f"refund_status{suffix}", "")
        state = REFUND_STATES.get(status, "unknown")
        done = state in ("success", "processing")
        return self._refund_result(
            state,
            out_refund_no,
            answer,
            suffix=suffix,
            error_code="" if done else status,
            error_message="" if done else REFUND_STATUS_DESCRIPTIONS.get(status, ""),
        )


def from_settings() -> WeChatPay:
    """The adapter from the WECHAT_PAY_* settings; PaymentNotConfigured when the merchant's are missing."""
    required = ("WECHAT_PAY_APPID", "WECHAT_PAY_MCH_ID", "WECHAT_PAY_API_KEY")
    missing = [name for name in required if not getattr(settings, name)]
    if missing:
        raise PaymentNotConfigured(f"WeChat Pay is not configured: {', '.join(missing)} missing.")
    return WeChatPay(
        appid=settings.WECHAT_PAY_APPID,
        mch_id=settings.WECHAT_PAY_MCH_ID,
        api_key=settings.WECHAT_PAY_API_KEY,
        sign_type=settings.WECHAT_PAY_SIGN_TYPE,
        endpoint=settings.WECHAT_PAY_ENDPOINT,
        timeout=settings.WECHAT_PAY_TIMEOUT,
        cert_path=settings.WECHAT_PAY_CERT_PATH,
        key_path=settings.WECHAT_PAY_KEY_PATH,
    )
