from django.urls import path

from crhq_app.accounts import views

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
]
