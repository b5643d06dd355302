"""The workspace's documents. Every change is kept as an immutable version by django-simple-history (a row of
HistoricalDocument: who, when, what kind of change); a restore saves an old version again, as a new version;
a deletion is a version too and can be undone."""

from django.conf import settings
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record


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
    history = HistoricalRecords(bases=[VersionActor], user_model=settings.AUTH_USER_MODEL,
                                history_change_reason_field=models.CharField(max_length=200, null=True))

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return self.title

    def save_as(self, actor, user=None, reason=None, **kwargs):
        """Save with the version's author (a label, and the person when there is one) and reason."""
        self.updated_at = timezone.now()
        self._crhq_actor = actor  # pylint: disable=attribute-defined-outside-init
        self._history_user = user  # pylint: disable=attribute-defined-outside-init
        self._change_reason = reason  # pylint: disable=attribute-defined-outside-init
        self.save(**kwargs)


@receiver(pre_create_historical_record)
def _record_actor(sender, instance, history_instance, **kwargs):  # pylint: disable=unused-argument
    history_instance.actor = getattr(instance, "_crhq_actor", "")[:200]
