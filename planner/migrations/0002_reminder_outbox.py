"""Reminders become one digest per person and day, kept as an outbox row until sent.

The old per-plan, per-kind delivery rows were a log of what had been sent;
they are dropped (a person may get today's digest once more after the
upgrade). Every stored preference gets its own link key, since a column
default would give all existing rows the same one.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import planner.models


def give_each_preference_its_own_link_key(apps, schema_editor):
    preference_model = apps.get_model("planner", "ReminderPreference")
    for preference in preference_model.objects.only("pk").iterator():
        preference_model.objects.filter(pk=preference.pk).update(
            link_key=planner.models.new_link_key()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("planner", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name="ReminderDelivery"),
        migrations.AddField(
            model_name='plan',
            name='archived_at',
            field=models.DateTimeField(blank=True, help_text='Archived plans stay readable but send no reminders.', null=True),
        ),
        migrations.AddField(
            model_name='reminderpreference',
            name='link_key',
            field=models.CharField(default=planner.models.new_link_key, help_text='Part of every link in reminders; changing it revokes the links already sent.', max_length=32),
        ),
        migrations.AlterField(
            model_name='reminderpreference',
            name='enabled',
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name='ReminderDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uid', models.UUIDField(default=uuid.uuid4, editable=False, help_text="Stable delivery id: the webhook's X-Prepgraph-Delivery, the email's Message-ID.", unique=True)),
                ('local_date', models.DateField(help_text="The person's date when the reminder fell due.")),
                ('contents', models.JSONField(default=list, help_text='What the digest covers: [{"plan": id, "kinds": [...]}].')),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('expired', 'Expired')], default='pending', max_length=16)),
                ('claim', models.UUIDField(help_text='The dispatcher run that created this row.')),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(help_text='When a pending row may be sent (again).')),
                ('lease_expires_at', models.DateTimeField(blank=True, help_text='While sending: after this the sender is presumed dead.', null=True)),
                ('expires_at', models.DateTimeField(help_text="End of the person's local day: not sent after.")),
                ('last_error', models.TextField(blank=True)),
                ('channels_sent', models.JSONField(blank=True, default=list)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('enqueued_at', models.DateTimeField(blank=True, null=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminder_deliveries', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'reminder deliveries',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='planner_rem_status_9bd4fe_idx')],
                'constraints': [models.UniqueConstraint(fields=('user', 'local_date'), name='reminder_once_per_day')],
            },
        ),
        migrations.RunPython(
            give_each_preference_its_own_link_key, migrations.RunPython.noop, elidable=True
        ),
    ]
