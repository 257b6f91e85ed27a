# Cases are addressed by their reference (e.g. C93101012026112600A1B2), never by primary key:
# `case_ref` on requests and call sessions held a case id; it now holds the case's reference.
# Step 1 (here): the column becomes text and each id is replaced by its case's reference (an id
# whose case no longer exists becomes empty: there is nothing left to address). Step 2 (0005):
# empty instead of NULL. Two migrations, so that PostgreSQL never alters a table in the
# transaction that updated its rows.

from django.db import migrations, models

MODELS = ("AssistRequest", "CallSession")


def ids_to_references(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for name in MODELS:
        model = apps.get_model("helpdesk", name)
        ids = {int(value) for value in model.objects.exclude(case_ref__isnull=True).exclude(case_ref="")
               .values_list("case_ref", flat=True).distinct() if str(value).isdigit()}
        references = dict(Case.objects.filter(pk__in=ids).values_list("pk", "reference"))
        for case_id in ids:
            model.objects.filter(case_ref=str(case_id)).update(case_ref=references.get(case_id, ""))
        model.objects.filter(case_ref__isnull=True).update(case_ref="")


def references_to_ids(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for name in MODELS:
        model = apps.get_model("helpdesk", name)
        references = set(model.objects.exclude(case_ref="").values_list("case_ref", flat=True).distinct())
        ids = dict(Case.objects.filter(reference__in=references).values_list("reference", "pk"))
        for reference in references:
            case_id = ids.get(reference)
            model.objects.filter(case_ref=reference).update(case_ref=str(case_id) if case_id else None)
        model.objects.filter(case_ref="").update(case_ref=None)


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0003_audit_kinds"),
        ("cases", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assistrequest",
            name="case_ref",
            field=models.CharField(blank=True, max_length=32, null=True, verbose_name="case"),
        ),
        migrations.AlterField(
            model_name="callsession",
            name="case_ref",
            field=models.CharField(blank=True, max_length=32, null=True, verbose_name="linked case"),
        ),
        migrations.RunPython(ids_to_references, references_to_ids),
    ]
