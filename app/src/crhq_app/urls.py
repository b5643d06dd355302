from django.urls import path

from crhq_app.accounts import views
from crhq_app.content import api as content_api
from crhq_app.content import views as content_views
from crhq_app.vault import api as vault_api
from crhq_app.vault import views as vault_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # nginx rate-limits every path under /login (roles/nginx: nginx_login_locations)
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify, name="login-verify"),
    path("login/enrol/", views.login_enrol, name="login-enrol"),
    path("logout/", views.logout_view, name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout-everywhere"),
    path("account/password/", views.password_change, name="password-change"),
    path("account/2fa/", views.two_factor, name="two-factor"),
    path("account/2fa/enrol/", views.two_factor_enrol, name="two-factor-enrol"),
    path("account/2fa/backup-codes/", views.backup_codes, name="backup-codes"),
    path("api/me", views.api_me, name="api-me"),
    path("credentials/", vault_views.credentials, name="credentials"),
    path("credentials/<slug:name>/", vault_views.credential, name="credential"),
    path("credentials/<slug:name>/delete", vault_views.credential_delete, name="credential-delete"),
    path("credentials/<slug:name>/restore", vault_views.credential_restore, name="credential-restore"),
    path("audit/", vault_views.audit_log, name="audit"),
    path("api/v1/credentials", vault_api.credentials, name="api-credentials"),
    path("api/v1/credentials/<slug:name>", vault_api.credential, name="api-credential"),
    path("api/v1/credentials/<slug:name>/value", vault_api.credential_value, name="api-credential-value"),
    path("api/v1/credentials/<slug:name>/restore", vault_api.credential_restore, name="api-credential-restore"),
    path("api/v1/audit", vault_api.audit_log, name="api-audit"),
    path("documents/", content_views.documents, name="documents"),
    path("documents/<int:pk>/", content_views.document, name="document"),
    path("documents/<int:pk>/history/", content_views.document_history, name="document-history"),
    path("documents/<int:pk>/history/<int:number>/", content_views.document_version, name="document-version"),
    path("documents/<int:pk>/history/<int:number>/restore", content_views.document_restore, name="document-restore"),
    path("documents/<int:pk>/delete", content_views.document_delete, name="document-delete"),
    path("api/v1/hub/versions", content_api.hub_versions, name="api-hub-versions"),
    path("api/v1/tokens", vault_api.session_tokens, name="api-tokens"),
    path("api/v1/tokens/<slug:token_id>", vault_api.session_token, name="api-token"),
]
