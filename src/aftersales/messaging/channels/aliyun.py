"""Aliyun SMS (阿里云短信服务, dysmsapi 2017-05-25): SendSms and QuerySendDetails over its RPC API.

Requests are signed as Aliyun's RPC signature (version 1.0) prescribes: every parameter but
``Signature``, sorted by name, each name and value percent-encoded (RFC 3986: ``A-Z a-z 0-9 - _ . ~``
kept, a space as %20), joined with ``&``; the string to sign is ``METHOD&%2F&`` + that string,
percent-encoded again; the signature is Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).
Source: 阿里云 RPC API 签名机制 (help.aliyun.com/document_detail/315526), SendSms and
QuerySendDetails references. A message is the provider's approved signature (SignName) and template
(TemplateCode) with its parameters (TemplateParam, JSON); we pass our id as OutId and find the message
again by it in QuerySendDetails after a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aftersales.messaging.channels import Outgoing, ProviderState, SendAmbiguous, SendError

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"

# Codes worth another attempt later: throttling and the provider's own failures. Others are final.
TEMPORARY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "Throttling",
        "Throttling.User",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY",
        "ServiceUnavailable",
        "InternalError",
    }
)

# QuerySendDetails' SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered.
_SEND_STATUS: dict[int, ProviderState] = {1: "sent", 2: "failed", 3: "delivered"}


def percent_encode(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params) if key != "Signature"
    )
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms:
    """The Aliyun SMS adapter (``SmsProvider``)."""

    name = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str = DEFAULT_ENDPOINT,
        region: str = "cn-hangzhou",
        timeout: float = 10.0,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout

    def _call(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        signed = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            **params,
        }
        signed["Signature"] = signature(self.access_key_secret, "POST", signed)
        body = urllib.parse.urlencode(signed, quote_via=urllib.parse.quote).encode()
        request = urllib.request.Request(  # noqa: S310 - the endpoint is configured, https in production
            self.endpoint, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read().decode())
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read().decode())
            except ValueError:
                raise SendError(f"Aliyun SMS answered HTTP {error.code}", temporary=error.code >= 500) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, ConnectionRefusedError | socket.gaierror):
                # Nothing was sent: the provider could not be reached at all.
                raise SendError(f"Aliyun SMS could not be reached: {error.reason}", temporary=True) from None
            raise SendAmbiguous(f"Aliyun SMS: the request may have been taken: {error.reason}") from None
        except (OSError, ValueError) as error:  # a timeout or a drop after sending, an unreadable answer
            raise SendAmbiguous(f"Aliyun SMS: the request may have been taken: {error}") from None
        code = str(answer.get("Code", ""))
        if code != "OK":
            message = f"Aliyun SMS {code}: {answer.get('Message', '')}"
            raise SendError(message, temporary=code in TEMPORARY_CODES, code=code)
        return answer

    def send(self, message: Outgoing) -> str:
        answer = self._call(
            "SendSms",
            {
                "PhoneNumbers": message.address,
                "SignName": message.sign_name,
                "TemplateCode": message.template_code,
                "TemplateParam": json.dumps(message.variables, ensure_ascii=False, separators=(",", ":")),
                "OutId": message.out_id,
            },
        )
        return str(answer.get("BizId", ""))

    def query(self, message: Outgoing) -> ProviderState:
        if message.sent_on is None:
            return None
        answer = self._call(
            "QuerySendDetails",
            {
                "PhoneNumber": message.address,
                "SendDate": message.sent_on.strftime("%Y%m%d"),
                "PageSize": "50",
                "CurrentPage": "1",
            },
        )
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        for detail in details:
            if detail.get("OutId") == message.out_id:
                return _SEND_STATUS.get(int(detail.get("SendStatus", 1)), "sent")
        return None
