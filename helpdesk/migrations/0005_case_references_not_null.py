# Empty instead of NULL for "no case" (0004 filled every row).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0004_case_references"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assistrequest",
            name="case_ref",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="case"),
        ),
        migrations.AlterField(
            model_name="callsession",
            name="case_ref",
            field=models.CharField(blank=True, default="", max_length=32, verbose_name="linked case"),
        ),
    ]
