import django.db.models.deletion
from django.db import migrations, models


def documents_onto_media_files(apps, schema_editor):
    """Each ID copy's file becomes a media-service file, where it already is (``DATA_DIR/documents``).
    Copies kept before this release are not rewritten: their thumbnails are absent (the page shows an
    icon) and a photo among them keeps the metadata it arrived with."""
    CustomerDocument = apps.get_model("customers", "CustomerDocument")
    MediaFile = apps.get_model("core", "MediaFile")
    for document in CustomerDocument.objects.filter(media=None).order_by("pk").iterator():
        media = MediaFile.objects.create(
            store_id=document.store_id,
            owner_type="customers.customerdocument",
            owner_id=document.pk,
            area="documents",
            file_name=document.file_name,
            content_type=document.content_type,
            size=document.size,
            sha256=document.sha256,
            storage_name=document.storage_name,
            uploaded_by_id=document.uploaded_by_id,
        )
        MediaFile.objects.filter(pk=media.pk).update(uploaded_at=document.uploaded_at)
        CustomerDocument.objects.filter(pk=document.pk).update(media=media)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0013_media_files'),
        ('customers', '0011_search_index_covers_the_owner'),
    ]

    operations = [
        migrations.AddField(
            model_name='customerdocument',
            name='media',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.mediafile', verbose_name='file'),
        ),
        migrations.RunPython(documents_onto_media_files, migrations.RunPython.noop),
    ]
