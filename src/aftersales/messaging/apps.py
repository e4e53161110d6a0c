from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Messages to customers and staff (SMS, e-mail, in-app), sent from one outbox."""

    name = "aftersales.messaging"
    label = "messaging"
    verbose_name = _("Messages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.core.demo import DEMO_EXTENSIONS
        from aftersales.core.media import media_owner_register
        from aftersales.core.navigation import MENU, MenuItem
        from aftersales.core.permissions import register
        from aftersales.messaging import tasks  # noqa: F401  (hands the outbox's sends to the job queue)
        from aftersales.messaging.demo import messaging_demo_install
        from aftersales.messaging.models import Signature
        from aftersales.messaging.permissions import GRANTS, PERMISSIONS
        from aftersales.messaging.services import SIGNATURE_OWNER

        register(PERMISSIONS, GRANTS)
        DEMO_EXTENSIONS.append(messaging_demo_install)
        media_owner_register(Signature.OWNER_TYPE, SIGNATURE_OWNER)
        MENU.insert(1, MenuItem("messaging:outbox", _("Messages"), "bi-envelope", "messages.view"))
        MENU.insert(1, MenuItem("messaging:tasks", _("My tasks"), "bi-list-check", "today.view"))
