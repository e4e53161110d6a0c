"""Every write of the archive: customers, vehicles, warranty, merge, quality, privacy, ID copies, imports.

Keyword-only, ``<entity>_<action>(*, actor, ...)``, one transaction each. One module per feature;
the public names are re-exported here."""

from aftersales.core.imports import MAX_UPLOAD_BYTES
from aftersales.core.media import describe_content, detect_content_type, sanitize_file_name
from aftersales.customers.services.corrections import (
    archive_review_snapshot,
    consent_sign,
    consent_snapshot,
    correction_decide,
    correction_submit,
    review_link_send,
)
from aftersales.customers.services.customers import (
    customer_clean,
    customer_create,
    customer_mark_reviewed,
    customer_reveal,
    customer_search_keys_rebuild,
    customer_update,
    error_collect,
    mobiles_audit,
    mobiles_of,
)
from aftersales.customers.services.id_copies import (
    MAX_DOCUMENT_BYTES,
    document_delete,
    document_opened,
    document_response,
    document_upload,
    documents_purge,
)
from aftersales.customers.services.imports import export_job_create, import_job_create, workbook_check
from aftersales.customers.services.merge import MERGEABLE_FIELDS, customer_merge
from aftersales.customers.services.messages import (
    customer_message_send,
    customer_recipient,
    customers_opt_out,
    unsubscribe_confirm,
    unsubscribe_link,
)
from aftersales.customers.services.privacy import (
    ANONYMISE_HANDLERS,
    ExportFile,
    consent_withdraw,
    customer_anonymise,
    pi_export_file,
)
from aftersales.customers.services.quality import archive_rule_save, completeness_recompute_store, completeness_refresh
from aftersales.customers.services.vehicles import (
    DELIVERY_BEFORE_INVOICE_MAX,
    PLATE_RELEASE_REASONS,
    mileage_record,
    vehicle_clean,
    vehicle_create,
    vehicle_driver_add,
    vehicle_driver_end,
    vehicle_search_keys_rebuild,
    vehicle_transfer,
    vehicle_update,
)
from aftersales.customers.services.warranty import (
    warranty_derive,
    warranty_policy_create,
    warranty_policy_for,
    warranty_rederive,
    warranty_terms,
    years_later,
)

__all__ = [
    "ANONYMISE_HANDLERS",
    "DELIVERY_BEFORE_INVOICE_MAX",
    "MAX_DOCUMENT_BYTES",
    "MAX_UPLOAD_BYTES",
    "MERGEABLE_FIELDS",
    "PLATE_RELEASE_REASONS",
    "ExportFile",
    "archive_review_snapshot",
    "archive_rule_save",
    "completeness_recompute_store",
    "completeness_refresh",
    "consent_sign",
    "consent_snapshot",
    "consent_withdraw",
    "correction_decide",
    "correction_submit",
    "customer_anonymise",
    "customer_clean",
    "customer_create",
    "customer_mark_reviewed",
    "customer_merge",
    "customer_message_send",
    "customer_recipient",
    "customer_reveal",
    "customer_search_keys_rebuild",
    "customer_update",
    "customers_opt_out",
    "describe_content",
    "detect_content_type",
    "document_delete",
    "document_opened",
    "document_response",
    "document_upload",
    "documents_purge",
    "error_collect",
    "export_job_create",
    "import_job_create",
    "mileage_record",
    "mobiles_audit",
    "mobiles_of",
    "pi_export_file",
    "review_link_send",
    "sanitize_file_name",
    "unsubscribe_confirm",
    "unsubscribe_link",
    "vehicle_clean",
    "vehicle_create",
    "vehicle_driver_add",
    "vehicle_driver_end",
    "vehicle_search_keys_rebuild",
    "vehicle_transfer",
    "vehicle_update",
    "warranty_derive",
    "warranty_policy_create",
    "warranty_policy_for",
    "warranty_rederive",
    "warranty_terms",
    "workbook_check",
    "years_later",
]
