"""E-mail over SMTP (Django's SMTP backend with the EMAIL_* settings). SMTP gives no way to ask later
whether a message went out, so a crash mid-send leaves an e-mail ``unknown``."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from aftersales.messaging.channels import NotConfigured, Outgoing, ProviderState, SendAmbiguous, SendError


class SmtpEmail:
    name = "smtp"

    def send(self, message: Outgoing) -> str:
        if not settings.EMAIL_HOST:
            raise NotConfigured("No SMTP server is configured (EMAIL_HOST).")
        connection = EmailBackend(
            host=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            username=settings.EMAIL_HOST_USER or None,
            password=settings.EMAIL_HOST_PASSWORD or None,
            use_tls=settings.EMAIL_USE_TLS,
            use_ssl=settings.EMAIL_USE_SSL,
            timeout=settings.EMAIL_TIMEOUT or 10,
            fail_silently=False,
        )
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"X-AfterSales-Message": message.out_id},
            connection=connection,
        )
        for attachment in message.attachments:
            email.attach(attachment.name, attachment.content, attachment.content_type)
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise SendError(f"The mail server refused the address: {error}", temporary=False) from None
        except (smtplib.SMTPConnectError, ConnectionRefusedError) as error:
            raise SendError(f"The mail server could not be reached: {error}", temporary=True) from None
        except smtplib.SMTPResponseException as error:
            # The server refused the message at some step: nothing was taken.
            raise SendError(f"The mail server refused the message: {error}", temporary=error.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as error:  # cut off mid-conversation: it may have been taken
            raise SendAmbiguous(f"The mail server may have taken the message: {error}") from None
        return email.extra_headers.get("Message-ID", "") or message.out_id

    def query(self, message: Outgoing) -> ProviderState:
        return None
