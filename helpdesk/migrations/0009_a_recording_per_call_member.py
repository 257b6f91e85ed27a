# A recording per member of a call (CallRecording) instead of the one file on CallSession. A call recorded
# before keeps its file, hash and deletion time as the caller's recording (the recorder wrote the caller's
# media only); going back puts the caller's first recording on the session again.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forwards(apps, schema_editor):
    CallSession = apps.get_model("helpdesk", "CallSession")
    CallRecording = apps.get_model("helpdesk", "CallRecording")
    recorded = CallSession.objects.exclude(recording_sha256="")
    CallRecording.objects.bulk_create(
        CallRecording(
            session_id=session.pk,
            user_id=session.citizen_id,
            peer="citizen",
            role="citizen",
            file=session.recording.name if session.recording else "",
            sha256=session.recording_sha256,
            started_at=session.started_at,
            ended_at=session.ended_at or session.started_at,
            deleted_at=session.recording_deleted_at,
        )
        for session in recorded.iterator()
    )


def backwards(apps, schema_editor):
    CallSession = apps.get_model("helpdesk", "CallSession")
    CallRecording = apps.get_model("helpdesk", "CallRecording")
    for recording in CallRecording.objects.filter(role="citizen").order_by("-started_at", "-id").iterator():
        # The earliest of the caller's recordings is written last, so it is the one that stays.
        CallSession.objects.filter(pk=recording.session_id).update(
            recording=recording.file.name if recording.file else "",
            recording_sha256=recording.sha256,
            recording_deleted_at=recording.deleted_at,
        )


class Migration(migrations.Migration):

    dependencies = [
        ("helpdesk", "0008_offer_and_invite_share_the_ring_model"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CallRecording",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("peer", models.CharField(max_length=24)),
                (
                    "role",
                    models.CharField(
                        choices=[("citizen", "Caller"), ("clerk", "Clerk holding the call"), ("guest", "Clerk brought in")],
                        max_length=8,
                    ),
                ),
                ("file", models.FileField(blank=True, max_length=200, upload_to="assist/recordings/%Y/%m/")),
                ("sha256", models.CharField(max_length=64)),
                ("started_at", models.DateTimeField()),
                ("ended_at", models.DateTimeField()),
                ("deleted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="recordings", to="helpdesk.callsession"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "call recording",
                "verbose_name_plural": "call recordings",
                "ordering": ["started_at", "id"],
            },
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="callsession", name="recording"),
        migrations.RemoveField(model_name="callsession", name="recording_deleted_at"),
        migrations.RemoveField(model_name="callsession", name="recording_sha256"),
    ]
