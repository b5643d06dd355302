"""Pages of the workspace's documents: edit, read the history, see what a version changed, restore any version
(as a new one), delete and undelete. Every change is audited."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from crhq_app.vault import audit

from . import versions as history
from .forms import DocumentForm
from .models import Document


def _actor(request):
    return audit.actor_of(request)[1]


def _audit(request, action, **detail):
    """The audit row of a document change, written in the change's transaction (Document.save_as)."""
    def after(document):
        audit.record_request(request, action, object_type="document", object_id=document.pk, detail=detail)
    return after


@never_cache
@require_http_methods(["GET", "POST"])
def documents(request):
    form = DocumentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        document = Document(title=form.cleaned_data["title"], body=form.cleaned_data["body"])
        document.save_as(_actor(request), request.user, "created", after=_audit(request, "document.create"))
        return redirect("document", pk=document.pk)
    return render(request, "content/documents.html", {
        "form": form, "documents": Document.objects.filter(deleted_at__isnull=True),
        "deleted": Document.objects.filter(deleted_at__isnull=False)})


@never_cache
@require_http_methods(["GET", "POST"])
def document(request, pk):
    found = get_object_or_404(Document, pk=pk)
    form = DocumentForm(request.POST or None, initial={"title": found.title, "body": found.body})
    if request.method == "POST" and found.deleted_at is None and form.is_valid():
        if (form.cleaned_data["title"], form.cleaned_data["body"]) != (found.title, found.body):
            found.title, found.body = form.cleaned_data["title"], form.cleaned_data["body"]
            found.save_as(_actor(request), request.user, "edited", after=_audit(request, "document.update"))
        return redirect("document", pk=pk)
    return render(request, "content/document.html", {"document": found, "form": form,
                                                     "versions": history.numbered(found)[::-1][:5]})


@never_cache
def document_history(request, pk):
    found = get_object_or_404(Document, pk=pk)
    return render(request, "content/history.html", {"document": found, "versions": history.numbered(found)[::-1]})


@never_cache
def document_version(request, pk, number):
    found = get_object_or_404(Document, pk=pk)
    versions = history.numbered(found)
    if not 1 <= number <= len(versions):
        raise Http404
    version = versions[number - 1]
    previous = versions[number - 2] if number > 1 else None
    return render(request, "content/version.html", {"document": found, "version": version,
                                                    "changes": history.changes(version, previous),
                                                    "latest": number == len(versions)})


@require_POST
def document_restore(request, pk, number):
    """Version `number` becomes the current content again, as a new version (the history only grows)."""
    found = get_object_or_404(Document, pk=pk)
    versions = history.numbered(found)
    if not 1 <= number <= len(versions):
        raise Http404
    old = versions[number - 1]
    found.title, found.body, found.deleted_at = old.title, old.body, None
    found.save_as(_actor(request), request.user, "restored version %d" % number,
                  after=_audit(request, "document.restore", version=number))
    return redirect("document", pk=pk)


@require_POST
def document_delete(request, pk):
    found = get_object_or_404(Document, pk=pk, deleted_at__isnull=True)
    found.deleted_at = timezone.now()
    found.save_as(_actor(request), request.user, "deleted", after=_audit(request, "document.delete"))
    return redirect("documents")
