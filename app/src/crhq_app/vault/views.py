"""Pages for people: the credential store (values go in, never come out here) and the audit log (staff)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import audit, store
from .forms import CredentialForm, CredentialUpdateForm
from .models import AuditEvent, Credential


def _audit_args(request):
    actor_type, actor = audit.actor_of(request)
    return {"actor_type": actor_type, "actor": actor, "address": request.META.get("REMOTE_ADDR", ""),
            "request_id": getattr(request, "request_id", "")}


def _actor(request):
    return audit.actor_of(request)[1]


@never_cache
@require_http_methods(["GET", "POST"])
def credentials(request):
    form = CredentialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store.create(form.cleaned_data["name"], form.cleaned_data["value"], form.cleaned_data["description"],
                         _actor(request), _audit_args(request))
        except store.StoreError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("credentials")
    return render(request, "vault/credentials.html", {
        "form": form, "credentials": Credential.objects.filter(deleted_at__isnull=True),
        "deleted": Credential.objects.filter(deleted_at__isnull=False)})


@never_cache
@require_http_methods(["GET", "POST"])
def credential(request, name):
    found = Credential.objects.filter(name=name).first()
    if found is None:
        raise Http404
    form = CredentialUpdateForm(request.POST or None, initial={"description": found.description})
    if request.method == "POST" and found.deleted_at is None and form.is_valid():
        try:
            store.update(found, _actor(request), _audit_args(request), value=form.cleaned_data["value"] or None,
                         description=form.cleaned_data["description"])
        except store.StoreError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("credential", name=name)
    return render(request, "vault/credential.html", {"credential": found, "form": form,
                                                     "versions": found.versions.order_by("-version")})


def _get(name, deleted=False):
    try:
        return store.get(name, deleted=deleted)
    except store.StoreError:
        raise Http404 from None


@require_POST
def credential_delete(request, name):
    store.delete(_get(name), _audit_args(request))
    return redirect("credentials")


@require_POST
def credential_restore(request, name):
    store.restore(_get(name, deleted=True), _audit_args(request))
    return redirect("credential", name=name)


@never_cache
def audit_log(request):
    if not request.user.is_staff:
        audit.record_request(request, "audit.read", result="denied", detail={"reason": "not staff"})
        raise PermissionDenied
    audit.record_request(request, "audit.read")
    # walking the whole chain grows with the log: on request only (?verify=1)
    chain = audit.verify() if request.GET.get("verify") == "1" else None
    return render(request, "vault/audit.html", {"events": AuditEvent.objects.order_by("-seq")[:200], "chain": chain})
