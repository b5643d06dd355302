"""The workspace's documents. Every change is kept as an immutable version by django-simple-history (a row of
HistoricalDocument: who, when, what kind of change); a restore saves an old version again, as a new version;
a deletion is a version too and can be undone."""

from django.conf import settings
from django.db import connection, models, transaction
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


VERSIONS_LOCK = 0x63726871646f6373  # "crhqdocs"


class VersionActor(models.Model):
    """Added to every version: who made it, also when it was not a logged-in person (an API key, Ansible)."""

    actor = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


class Document(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # the version's user as a plain id, no foreign key: versions are immutable (no UPDATE, not even the SET NULL
    # a foreign key would make when a user is deleted), and `actor` names the user for good anyway
    history = HistoricalRecords(bases=[VersionActor], user_model=settings.AUTH_USER_MODEL,
                                history_user_id_field=models.BigIntegerField(null=True, blank=True),
                                history_change_reason_field=models.CharField(max_length=200, null=True))

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.title

    def save_as(self, actor, user=None, reason=None, after=None):
        """Save with the version's author (a label, and the person when there is one) and reason, then call
        `after(self)` (the audit row) in the same transaction. Document writes take turns on a lock, so version
        ids commit in the order they were given and the hub's cursor never passes a version still to come."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [VERSIONS_LOCK])
            self.updated_at = timezone.now()
            self._crhq_actor = actor  # pylint: disable=attribute-defined-outside-init
            self._history_user = user  # pylint: disable=attribute-defined-outside-init
            self._change_reason = reason  # pylint: disable=attribute-defined-outside-init
            self.save()
            if after is not None:
                after(self)


@receiver(pre_create_historical_record)
def _record_actor(sender, instance, history_instance, **kwargs):  # pylint: disable=unused-argument
    history_instance.actor = getattr(instance, "_crhq_actor", "")[:200]
