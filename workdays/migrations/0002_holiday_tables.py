"""The holiday tables take this app's names, once `disclosure` no longer has the models
(disclosure.0004); the content types follow, so granted permissions and the admin's
history stay attached."""

from django.db import migrations

MODELS = ("holiday", "holidayyear")


def _move_content_types(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=target, model__in=MODELS)
                .values_list("model", flat=True))
    (ContentType.objects.filter(app_label=source, model__in=MODELS).exclude(model__in=taken)
     .update(app_label=target))


def content_types_to_workdays(apps, schema_editor):
    _move_content_types(apps, "disclosure", "workdays")


def content_types_to_disclosure(apps, schema_editor):
    _move_content_types(apps, "workdays", "disclosure")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("disclosure", "0004_holiday_calendar_to_workdays"),
        ("workdays", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="holiday", table=None),
        migrations.AlterModelTable(name="holidayyear", table=None),
        migrations.RunPython(content_types_to_workdays, content_types_to_disclosure),
    ]
