# Offer and CallInvite share the abstract Ring model (the ring fields, the deadline, one ringing row per
# clerk). Nothing changes in the database: the columns, indexes and the constraints' names stay as they
# were; only the reverse accessor of CallInvite.clerk is now user.assist_callinvites (state only, no SQL).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("helpdesk", "0007_call_members_invites_recordings_prechecks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="callinvite",
            name="clerk",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assist_%(class)ss",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="offer",
            name="clerk",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assist_%(class)ss",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
