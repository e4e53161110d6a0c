"""Files uploaded for a business record (photos, scans of papers): one row each, whatever area owns it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MediaFile(models.Model):
    """A file kept by the media service (``aftersales.core.media``) for one owning record.

    The owner is named by ``owner_type`` (the owning model's ``app_label.model``) and ``owner_id``; the
    owner's area registers who may see its files (``media_owner_register``) and every file is served
    only through the one authorised view. The bytes live in the storage of ``area`` under a generated
    ``storage_name``; a photo has been turned upright, stripped of EXIF and given a thumbnail.
    """

    store = models.ForeignKey(
        "core.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store")
    )  # the store where it was taken
    owner_type = models.CharField(_("owner type"), max_length=60)
    owner_id = models.PositiveBigIntegerField(_("owner"), null=True)  # set once the owning row exists
    area = models.CharField(_("storage area"), max_length=30)
    file_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    storage_name = models.CharField(max_length=64, unique=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    thumbnail_name = models.CharField(max_length=64, null=True, blank=True, unique=True)
    thumbnail_size = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="core_media_owner")]

    def __str__(self) -> str:
        return f"{self.owner_type}#{self.owner_id} {self.file_name}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
