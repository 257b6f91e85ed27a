from django.db import migrations


def seed(apps, schema_editor):
    from standards.districts import seed_districts

    seed_districts(apps.get_model("standards", "Province"), apps.get_model("standards", "District"), apps.get_model("standards", "ServiceWindow"))


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
