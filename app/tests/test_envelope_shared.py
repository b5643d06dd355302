"""One envelope implementation: the app's crypto modules are the collection's files, in git and in the wheel."""

import importlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings

from crhq_app import crypto
from crhq_app.crypto import envelope as app_envelope
from crhq_app.crypto import keyring as app_keyring

APP = Path(__file__).resolve().parents[1]
REPO = APP.parent
MODULE_UTILS = REPO / "plugins" / "module_utils"
SHARED = ("envelope.py", "keyring.py")

# docs/crypto-format.md, section 6
EXAMPLE_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
EXAMPLE_ENVELOPE = "crhq.v1.8bb412ab9d243c55.yv66vvrO263eyviI-ciNQ9IbImsqbnCzFGmkXiBSpTCzNAERN_jMPBRjXB1nfoXJkjPwygw"


@pytest.fixture(scope="module")
def collection_envelope(tmp_path_factory):
    """The collection's envelope module, imported as Ansible does (ansible_collections.crhq.platform)."""
    path = REPO / ".tmp" / "collections"  # laid out by scripts/lib.sh (PYTHONPATH of the repo scripts)
    if not (path / "ansible_collections" / "crhq" / "platform" / "plugins").is_dir():
        path = tmp_path_factory.mktemp("collections")
        (path / "ansible_collections" / "crhq").mkdir(parents=True)
        (path / "ansible_collections" / "crhq" / "platform").symlink_to(REPO)
    sys.path.insert(0, str(path))
    try:
        module = importlib.import_module("ansible_collections.crhq.platform.plugins.module_utils.envelope")
    finally:
        sys.path.remove(str(path))
    assert Path(module.__file__).resolve() == (MODULE_UTILS / "envelope.py").resolve()
    return module


@pytest.mark.parametrize("name", SHARED)
def test_app_module_is_the_collection_file(name):
    link = APP / "src" / "crhq_app" / "crypto" / name
    assert link.is_symlink(), "%s must be a git symlink, not a copy" % link
    assert os.readlink(link) == "../../../../plugins/module_utils/" + name
    module = {"envelope.py": app_envelope, "keyring.py": app_keyring}[name]
    assert Path(module.__file__).read_bytes() == (MODULE_UTILS / name).read_bytes()


def test_no_other_copy_in_the_app():
    marker = b"crhq key id v1"
    holders = [p for p in (APP / "src").rglob("*.py") if not p.is_symlink() and marker in p.read_bytes()]
    assert holders == []


def test_app_to_collection_and_back(db, collection_envelope):
    keyring_json = json.dumps(settings.CRHQ_KEYRING)
    context = "user:7/totp_secret"
    sealed_by_app = crypto.encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", context)
    assert collection_envelope.decrypt(sealed_by_app, keyring_json, context) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    sealed_by_collection = collection_envelope.encrypt("sk-example", keyring_json, context)
    assert crypto.decrypt(sealed_by_collection, context) == "sk-example"
    with pytest.raises(crypto.CredentialError):
        crypto.decrypt(sealed_by_collection, "user:8/totp_secret")


def test_the_documented_example_decrypts_in_the_app():
    assert app_envelope.decrypt(EXAMPLE_ENVELOPE, EXAMPLE_KEY, "user:42/openai_api_key") == "sk-example-not-a-real-key"


def test_wheel_holds_the_file_contents(tmp_path):
    """setuptools copies what the symlinks point to: the wheel holds real files, equal to the collection's."""
    pytest.importorskip("setuptools")
    tree = tmp_path / "repo"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(APP, tree / "app", symlinks=True,
                    ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"))
    (tree / "plugins" / "module_utils").mkdir(parents=True)
    for name in SHARED:
        shutil.copy2(MODULE_UTILS / name, tree / "plugins" / "module_utils" / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
         "--wheel-dir", str(tmp_path / "dist"), str(tree / "app")],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("crhq_app-0.1.0-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in SHARED:
            info = archive.getinfo("crhq_app/crypto/" + name)
            assert (info.external_attr >> 16) & 0o170000 != 0o120000  # a file, not a link
            assert archive.read(info) == (MODULE_UTILS / name).read_bytes()
        assert {"crhq_app/templates/base.html", "crhq_app/templates/accounts/login.html",
                "crhq_app/static/crhq_app/app.css", "crhq_app/static/crhq_app/favicon.svg", "crhq_app/wsgi.py",
                "crhq_app/accounts/migrations/0001_initial.py",
                "crhq_app/accounts/migrations/0002_throttle_cache_table.py",
                "crhq_app/accounts/management/commands/ensure_user.py"} <= names
        assert not any(n.startswith(("tests/", "crhq_test_settings")) for n in names)
        meta = archive.read("crhq_app-0.1.0.dist-info/METADATA").decode()
        entry_points = archive.read("crhq_app-0.1.0.dist-info/entry_points.txt").decode()
    assert "crhq-app = crhq_app.manage:main" in entry_points
    assert "Requires-Dist: Django==5.2.19" in meta and "Requires-Python: >=3.11" in meta
