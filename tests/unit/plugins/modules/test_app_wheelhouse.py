# -*- coding: utf-8 -*-
"""crhq.platform.app_wheelhouse run in-process: the digest, the cache, check mode and pruning with a fake pip,
and one real build of the reference app that must then install with no index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from ansible_collections.crhq.platform.plugins.modules import app_wheelhouse as module

from .module_runner import run_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
APP = os.path.join(ROOT, "app")
HASH = "--hash=sha256:" + "0" * 64
LOCK = ("# a lock file\n"
        "dep-one==1.0 \\\n    %s\n"
        "typing-extensions==4.16.0 ; python_version < \"3.13\" \\\n    %s\n" % (HASH, HASH))
PYPROJECT = ('[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
             '[project]\nname = "Demo.App"\nversion = "1.2.3"\n')


@pytest.fixture(name="project")
def fixture_project(tmp_path):
    """A small project whose shared.py is a symbolic link to a file outside it, as the app's crypto files are."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.py").write_text("SHARED = 1\n")
    source = tmp_path / "project"
    package = source / "src" / "demo_app"
    package.mkdir(parents=True)
    (source / "pyproject.toml").write_text(PYPROJECT)
    (source / "requirements.lock").write_text(LOCK)
    (package / "__init__.py").write_text("VERSION = '1.2.3'\n")
    (package / "shared.py").symlink_to(os.path.relpath(outside / "shared.py", package))
    return source


@pytest.fixture(name="cache")
def fixture_cache(tmp_path):
    return tmp_path / "cache"


def params(project, cache, **changes):
    values = {"source": str(project), "requirements": str(project / "requirements.lock"), "python_version": "3.11",
              "architecture": "x86_64", "glibc_version": "2.36", "cache_dir": str(cache), "keep": 5, "pip_args": []}
    values.update(changes)
    return values


def digest(project, cache, **changes):
    return module.make_plan(params(project, cache, **changes))["digest"]


class FakePip:
    """Stands in for AnsibleModule.run_command: records pip's argv, writes the wheels pip would write.

    `fail` maps a pip command (wheel, wheel-isolated, download) to (rc, stderr); `hook` runs before download.
    """

    def __init__(self, fail=None, hook=None):
        self.calls = []
        self.fail = dict(fail or {})
        self.hook = hook
        self.sources = {}

    def __call__(self, _module, args, **kwargs):
        assert args[:3] == [sys.executable, "-m", "pip"], args
        assert kwargs["environ_update"]["PIP_NO_INPUT"] == "1"
        pip = args[3:]
        self.calls.append(pip)
        command = pip[0]
        if command == "wheel":
            command = "wheel" if "--no-build-isolation" in pip else "wheel-isolated"
        warnings = "WARNING: Location 'file:///opt/pypi-more/simple/x/' is ignored: it is neither a file nor a directory.\n"
        if command in self.fail:
            rc, stderr = self.fail[command]
            return rc, "", warnings + stderr
        if command.startswith("wheel"):
            source = pip[-1]
            self.sources = {}
            for directory, dummy, names in os.walk(source):
                for name in names:
                    path = os.path.join(directory, name)
                    with open(path, encoding="utf-8") as handle:
                        self.sources[os.path.relpath(path, source)] = (os.path.islink(path), handle.read())
            target = pip[pip.index("--wheel-dir") + 1]
            (open(os.path.join(target, "demo_app-1.2.3-py3-none-any.whl"), "wb")).write(b"app wheel")
        else:
            if self.hook:
                self.hook()
            target = pip[pip.index("--dest") + 1]
            with open(pip[pip.index("-r") + 1], encoding="utf-8") as handle:
                self.requirements = handle.read()
            (open(os.path.join(target, "dep_one-1.0-py3-none-any.whl"), "wb")).write(b"dependency")
        return 0, "Successfully done\n", warnings


@pytest.fixture(name="pip")
def fixture_pip(monkeypatch):
    fake = FakePip()

    def run_command(self, args, **kwargs):
        return fake(self, args, **kwargs)

    monkeypatch.setattr(module.AnsibleModule, "run_command", run_command)
    return fake


def run(capsys, project, cache, **changes):
    return run_module(module.main, capsys, **params(project, cache, **changes))


def visible(cache):
    return sorted(name for name in os.listdir(cache) if not name.startswith("."))


# --- the digest ---------------------------------------------------------------------------------------------

def test_the_digest_is_stable_and_names_the_release(project, cache):
    plan = module.make_plan(params(project, cache))
    assert plan["digest"] == digest(project, cache)
    assert plan["name"] == "Demo.App" and plan["version"] == "1.2.3"
    assert plan["release"] == "1.2.3-" + plan["digest"][:12]
    assert plan["path"] == str(cache / plan["release"])


@pytest.mark.parametrize("change", [
    {"python_version": "3.13"},
    {"architecture": "aarch64"},
    {"glibc_version": "2.41"},
])
def test_the_digest_changes_with_the_target(project, cache, change):
    assert digest(project, cache, **change) != digest(project, cache)


def test_the_digest_changes_with_a_source_file_a_new_file_a_rename_and_the_lock(project, cache):
    seen = {digest(project, cache)}
    (project / "src" / "demo_app" / "__init__.py").write_text("VERSION = '1.2.4'\n")
    seen.add(digest(project, cache))
    (project / "src" / "demo_app" / "extra.py").write_text("")
    seen.add(digest(project, cache))
    (project / "src" / "demo_app" / "extra.py").rename(project / "src" / "demo_app" / "other.py")
    seen.add(digest(project, cache))
    (project / "requirements.lock").write_text(LOCK + "# changed\n")
    seen.add(digest(project, cache))
    assert len(seen) == 5


def test_the_lock_counts_even_outside_the_source(project, cache, tmp_path):
    lock = tmp_path / "elsewhere.lock"
    lock.write_text(LOCK)
    before = digest(project, cache, requirements=str(lock))
    lock.write_text(LOCK.replace("1.0", "1.1"))
    assert digest(project, cache, requirements=str(lock)) != before


def test_build_output_caches_and_hidden_paths_do_not_count(project, cache):
    before = digest(project, cache)
    for relative in ["build/lib/demo_app/__init__.py", "dist/demo_app-1.2.3.tar.gz",
                     "src/Demo.App.egg-info/PKG-INFO", "src/demo_app/__pycache__/x.cpython-311.pyc",
                     "src/demo_app/stray.pyc", ".pytest_cache/v/cache", ".hypothesis/examples/x", ".git/HEAD",
                     "src/demo_app/.secret", ".venv/bin/python"]:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("noise")
    assert digest(project, cache) == before
    listed = [relative for relative, dummy in module.source_files(str(project))]
    assert listed == ["pyproject.toml", "requirements.lock", "src/demo_app/__init__.py", "src/demo_app/shared.py"]


def test_build_and_dist_count_below_the_top(project, cache):
    before = digest(project, cache)
    (project / "src" / "demo_app" / "build").mkdir()
    (project / "src" / "demo_app" / "build" / "__init__.py").write_text("")
    assert digest(project, cache) != before


def test_a_cache_inside_the_source_does_not_count(project):
    cache = project / "wheelhouses"
    before = digest(project, cache)
    (cache / "1.2.3-abc").mkdir(parents=True)
    (cache / "1.2.3-abc" / "x.whl").write_text("x")
    assert digest(project, cache) == before


def test_symbolic_links_are_followed(project, cache, tmp_path):
    before = digest(project, cache)
    (tmp_path / "outside" / "shared.py").write_text("SHARED = 2\n")
    assert digest(project, cache) != before
    linked_dir = tmp_path / "outside" / "templates"
    linked_dir.mkdir()
    (linked_dir / "page.html").write_text("<p>")
    (project / "src" / "demo_app" / "templates").symlink_to(linked_dir)
    assert "src/demo_app/templates/page.html" in [relative for relative, dummy in module.source_files(str(project))]


def test_a_broken_link_and_a_link_loop_are_errors(project, cache):
    (project / "src" / "demo_app" / "gone.py").symlink_to("nowhere.py")
    with pytest.raises(module.WheelhouseError, match="gone.py is a broken symbolic link"):
        module.source_files(str(project))
    (project / "src" / "demo_app" / "gone.py").unlink()
    (project / "src" / "demo_app" / "loop").symlink_to("..")
    with pytest.raises(module.WheelhouseError, match="symbolic link loop"):
        module.source_files(str(project))


# --- options and pyproject.toml -----------------------------------------------------------------------------

def test_platform_tags_newest_glibc_first():
    assert module.platform_tags("x86_64", "2.20") == [
        "manylinux_2_20_x86_64", "manylinux_2_19_x86_64", "manylinux_2_18_x86_64", "manylinux_2_17_x86_64",
        "manylinux2014_x86_64"]
    assert module.platform_tags("aarch64", "2.17") == ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]
    tags = module.platform_tags("x86_64", "2.36")
    assert len(tags) == 21 and tags[0] == "manylinux_2_36_x86_64" and tags[-1] == "manylinux2014_x86_64"


@pytest.mark.parametrize("architecture, glibc, message", [
    ("x86_64", "2.16", "glibc_version must be 2.17 or later"),
    ("x86_64", "3.1", "glibc_version must be 2.17 or later"),
    ("x86_64", "2.x", "glibc_version must have the form X.Y"),
    ("x86_64", "2.36.1", "glibc_version must have the form X.Y"),
    ("i686", "2.36", "architecture must be one of x86_64, aarch64"),
])
def test_bad_platform(architecture, glibc, message):
    with pytest.raises(module.WheelhouseError, match=message):
        module.platform_tags(architecture, glibc)


@pytest.mark.parametrize("changes, message", [
    ({"python_version": "3"}, "python_version must have the form X.Y (for example 3.11), got '3'"),
    ({"python_version": "3.11.2"}, "python_version must have the form X.Y"),
    ({"glibc_version": "2.5"}, "glibc_version must be 2.17 or later"),
    ({"keep": 0}, "keep must be at least 1, got 0"),
])
def test_bad_options_fail_with_a_message(project, cache, capsys, pip, changes, message):
    result = run(capsys, project, cache, **changes)
    assert result["failed"] and message in result["msg"]
    assert not pip.calls and not cache.exists()


@pytest.mark.parametrize("text, message", [
    (None, "has no pyproject.toml"),
    ("[project\nname = 1", "pyproject.toml is not valid TOML"),
    ('[tool.x]\na = 1\n', "pyproject.toml has no [project] table"),
    ('[project]\nversion = "1.0"\n', "[project] name is missing or empty"),
    ('[project]\nname = "x"\n', "[project] version is missing or empty"),
    ('[project]\nname = "x"\nversion = ""\n', "[project] version is missing or empty"),
    ('[project]\nname = "x"\nversion = 1\n', "[project] version is missing or empty"),
    ('[project]\nname = "x"\ndynamic = ["version"]\n', "[project] version is dynamic; this module needs it written"),
    ('[project]\nname = "x"\nversion = "1/2"\n', "version '1/2' cannot name a directory"),
])
def test_pyproject_problems_are_named(project, cache, capsys, pip, text, message):
    if text is None:
        (project / "pyproject.toml").unlink()
    else:
        (project / "pyproject.toml").write_text(text)
    result = run(capsys, project, cache)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert not pip.calls


def test_missing_inputs_and_a_lock_without_hashes(project, cache, capsys, pip, tmp_path):
    assert "is not a directory" in run(capsys, project, cache, source=str(tmp_path / "none"))["msg"]
    assert "is not a file" in run(capsys, project, cache, requirements=str(tmp_path / "none.lock"))["msg"]
    (project / "requirements.lock").write_text("dep-one==1.0\n")
    assert "holds no hashes" in run(capsys, project, cache)["msg"]
    assert not pip.calls


# --- building and the cache (fake pip) ----------------------------------------------------------------------

def test_build_then_cache_hit_without_pip(project, cache, capsys, pip):
    first = run(capsys, project, cache, pip_args=["--index-url", "https://pypi.example.org/simple"])
    assert first["changed"] and not first.get("failed"), first
    plan = module.make_plan(params(project, cache))
    assert first["release"] == plan["release"] and first["path"] == plan["path"] and first["digest"] == plan["digest"]
    assert first["name"] == "Demo.App" and first["version"] == "1.2.3" and first["python_version"] == "3.11"
    assert first["app_wheel"] == "demo_app-1.2.3-py3-none-any.whl"
    assert first["files"] == ["demo_app-1.2.3-py3-none-any.whl", "dep_one-1.0-py3-none-any.whl", "requirements.lock"]
    assert first["pruned"] == []
    # the exact pip commands
    wheel, download = pip.calls
    work = os.path.dirname(wheel[-1])
    assert wheel == ["wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", os.path.join(work, "out"),
                     os.path.join(work, "src")]
    assert download[:7] == ["download", "--require-hashes", "--only-binary", ":all:", "--implementation", "cp",
                            "--python-version"]
    assert download[7] == "3.11"
    assert download[8:50] == [item for tag in module.platform_tags("x86_64", "2.36") for item in ("--platform", tag)]
    assert download[50:] == ["--dest", os.path.join(work, "out"), "-r", os.path.join(work, "requirements-download.lock"),
                             "--index-url", "https://pypi.example.org/simple"]
    # the symbolic link arrived in the build tree as a regular file; noise did not arrive at all
    assert pip.sources["src/demo_app/shared.py"] == (False, "SHARED = 1\n")
    assert sorted(pip.sources) == ["pyproject.toml", "requirements.lock", "src/demo_app/__init__.py",
                                   "src/demo_app/shared.py"]
    # the wheelhouse, its lock file and manifest; the temporary directory is gone
    house = cache / first["release"]
    assert (house / "requirements.lock").read_text() == LOCK
    manifest = json.loads((house / ".complete").read_text())
    assert manifest["release"] == first["release"] and manifest["app_wheel"] == first["app_wheel"]
    assert manifest["name"] == "Demo.App" and manifest["version"] == "1.2.3" and manifest["python_version"] == "3.11"
    assert [entry["name"] for entry in manifest["files"]] == first["files"]
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    assert first["app_wheel_sha256"] == module.file_sha256(str(house / first["app_wheel"]))
    assert sorted(os.listdir(cache)) == [".demo_app.lock", first["release"]]

    pip.calls.clear()
    second = run(capsys, project, cache)
    assert not second["changed"] and not pip.calls
    for key in ("release", "path", "app_wheel", "app_wheel_sha256", "files", "name", "version", "digest"):
        assert second[key] == first[key]


def archive_members(path):
    with tarfile.open(path) as tar:
        return {member.name: (member.mode, member.uid, member.uname, tar.extractfile(member).read())
                for member in tar.getmembers()}


def test_the_wheelhouse_is_also_one_archive_of_its_files(project, cache, capsys, pip):
    first = run(capsys, project, cache)
    house = cache / first["release"]
    assert first["archive"] == str(house / ".wheelhouse.tar")
    members = archive_members(first["archive"])
    assert sorted(members) == first["files"]  # the wheels and the lock file, not the manifest
    for name, (mode, uid, uname, data) in members.items():
        assert (mode, uid, uname) == (0o644, 0, "root") and data == (house / name).read_bytes()
    assert not [name for name in os.listdir(house) if name.endswith(".tmp")]
    # reused as it is while it matches the manifest
    stamp = os.stat(first["archive"]).st_mtime_ns
    assert run(capsys, project, cache)["archive"] == first["archive"]
    assert os.stat(first["archive"]).st_mtime_ns == stamp


@pytest.mark.parametrize("damage", ["missing", "truncated", "other content", "extra member", "not a tar"])
def test_an_archive_that_does_not_match_the_manifest_is_made_again(project, cache, capsys, pip, damage):
    first = run(capsys, project, cache)
    archive, house = first["archive"], cache / first["release"]
    expected = archive_members(archive)
    if damage == "missing":
        os.unlink(archive)
    elif damage == "truncated":
        with open(archive, "r+b") as handle:
            handle.truncate(700)
    elif damage in ("other content", "extra member"):
        os.unlink(archive)
        with tarfile.open(archive, "w") as tar:
            for name in first["files"]:
                path = house / name
                if damage == "other content" and name == "requirements.lock":
                    path = house.parent / "forged.lock"
                    path.write_text(LOCK.replace("1.0", "9.0"))  # same length, other bytes
                tar.add(str(path), arcname=name)
            if damage == "extra member":
                tar.add(str(house / ".complete"), arcname="extra.whl")
    else:
        (house / ".wheelhouse.tar").write_bytes(b"plain text")
    pip.calls.clear()
    again = run(capsys, project, cache)
    assert not again["changed"] and not pip.calls  # the wheelhouse itself was fine: only the archive is made
    assert archive_members(archive) == expected


def test_check_mode_names_the_archive_and_makes_none(project, cache, capsys, pip):
    planned = run(capsys, project, cache, _ansible_check_mode=True)
    assert planned["archive"] == os.path.join(planned["path"], ".wheelhouse.tar")
    assert not cache.exists()


def test_a_damaged_wheelhouse_is_built_again(project, cache, capsys, pip):
    first = run(capsys, project, cache)
    (cache / first["release"] / "dep_one-1.0-py3-none-any.whl").write_bytes(b"tampered")
    pip.calls.clear()
    again = run(capsys, project, cache)
    assert again["changed"] and len(pip.calls) == 2
    assert (cache / first["release"] / "dep_one-1.0-py3-none-any.whl").read_bytes() == b"dependency"
    assert visible(cache) == [first["release"]]


def test_check_mode_builds_nothing(project, cache, capsys, pip):
    planned = run(capsys, project, cache, _ansible_check_mode=True)
    assert planned["changed"] and planned["release"] == module.make_plan(params(project, cache))["release"]
    assert planned["app_wheel"] is None and planned["files"] == [] and planned["pruned"] == []
    assert not pip.calls and not cache.exists()
    built = run(capsys, project, cache)
    checked = run(capsys, project, cache, _ansible_check_mode=True)
    assert not checked["changed"] and checked["app_wheel"] == built["app_wheel"] and checked["files"] == built["files"]


def test_pip_warnings_alone_do_not_fail(project, cache, capsys, pip):
    # FakePip puts a WARNING line on stderr of every call, as this machine's pip.conf makes pip do
    assert not run(capsys, project, cache).get("failed")


def test_the_build_is_retried_once_with_build_isolation(project, cache, capsys, pip, monkeypatch):
    # recorded here: once controller code is imported (a filter test in the same run) warnings go to Display
    warnings = []
    monkeypatch.setattr(module.AnsibleModule, "warn", lambda self, message, *args, **kwargs: warnings.append(message))
    pip.fail["wheel"] = (1, "error: backend-unavailable\n  × Cannot import build backend 'setuptools.build_meta'.\n"
                            "  ╰─> ModuleNotFoundError: No module named 'setuptools'\n")
    result = run(capsys, project, cache)
    assert result["changed"] and not result.get("failed")
    assert [call[0] for call in pip.calls] == ["wheel", "wheel", "download"]
    assert "--no-build-isolation" in pip.calls[0] and "--no-build-isolation" not in pip.calls[1]
    assert len(warnings) == 1 and "built with build isolation" in warnings[0]
    assert warnings[0].endswith("lacks the build backend or a recent enough one): "
                                "ModuleNotFoundError: No module named 'setuptools'")


def test_a_failed_build_reports_both_attempts_and_leaves_nothing(project, cache, capsys, pip):
    pip.fail["wheel"] = (1, "error: backend-unavailable\n")
    pip.fail["wheel-isolated"] = (1, "ERROR: Could not find a version that satisfies the requirement setuptools>=77\n")
    result = run(capsys, project, cache)
    assert result["failed"]
    assert "error: backend-unavailable" in result["msg"] and "setuptools>=77" in result["msg"]
    assert "WARNING" not in result["msg"]
    assert visible(cache) == [] and os.listdir(cache) == [".demo_app.lock"]


def test_a_failed_download_reports_pip_and_leaves_nothing(project, cache, capsys, pip):
    pip.fail["download"] = (1, "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n")
    result = run(capsys, project, cache)
    assert result["failed"] and "pip download of the locked dependencies failed (rc 1)" in result["msg"]
    assert "DO NOT MATCH THE HASHES" in result["msg"] and "WARNING" not in result["msg"]
    assert os.listdir(cache) == [".demo_app.lock"]


def test_markers_are_removed_for_the_download(project, cache, capsys, pip):
    """pip download evaluates markers for the Python running it: without them it fetches every locked file."""
    text, unmarked = module.requirements_without_markers(LOCK)
    assert unmarked == ["typing-extensions"] and ";" not in text
    assert "typing-extensions==4.16.0 \\\n" in text and text.count("--hash=") == LOCK.count("--hash=")
    assert module.requirements_without_markers("# none\ndep-one==1.0 --hash=sha256:aa\n") == (
        "# none\ndep-one==1.0 --hash=sha256:aa\n", [])
    assert module.requirements_without_markers('x==1 ; python_version < "3.13" --hash=sha256:bb\n')[0] == (
        "x==1 --hash=sha256:bb\n")
    for version in ("3.11", "3.13"):
        result = run(capsys, project, cache, python_version=version)
        assert not result.get("failed") and "typing-extensions" in pip.requirements
        assert pip.calls[-1][pip.calls[-1].index("-r") + 1].endswith("requirements-download.lock")
        # the wheelhouse keeps the whole lock file: the host's pip evaluates the markers itself
        assert (cache / result["release"] / "requirements.lock").read_text() == LOCK


def test_another_run_that_finished_first_wins(project, cache, capsys, pip):
    plan = module.make_plan(params(project, cache))

    def other_run_finishes():
        theirs = cache / plan["release"]
        theirs.mkdir()
        (theirs / "theirs.whl").write_bytes(b"theirs")
        module.write_manifest(str(theirs), {"digest": plan["digest"], "app_wheel": "theirs.whl", "name": "Demo.App"})

    pip.hook = other_run_finishes
    result = run(capsys, project, cache)
    assert not result["changed"] and result["app_wheel"] == "theirs.whl" and result["files"] == ["theirs.whl"]
    assert visible(cache) == [plan["release"]]
    assert sorted(os.listdir(cache / plan["release"])) == [".complete", ".wheelhouse.tar", "theirs.whl"]
    assert not [name for name in os.listdir(cache) if name.startswith(".build-")]


# --- keeping the newest ---------------------------------------------------------------------------------------

def fake_wheelhouse(cache, release, name="Demo.App", mtime=1_000_000, **target):
    house = cache / release
    house.mkdir(parents=True)
    (house / "x.whl").write_bytes(b"x")
    module.write_manifest(str(house), dict({"digest": "d-" + release, "app_wheel": "x.whl", "name": name}, **target))
    os.utime(house / ".complete", (mtime, mtime))
    return str(house)


def test_only_the_newest_keep_wheelhouses_of_the_project_stay(project, cache, capsys, pip):
    for age, release in enumerate(["1.2.0-a", "1.2.1-b", "1.2.2-c"]):
        fake_wheelhouse(cache, release, mtime=1_000_000 + age)
    fake_wheelhouse(cache, "9.9.9-other", name="other-project")
    (cache / "not-a-wheelhouse").mkdir()
    (cache / ".build-1.2.3-xyz-abc").mkdir()  # another run's build in progress
    # the names are compared as wheel names: demo-app, Demo.App and demo_app are one project
    fake_wheelhouse(cache, "1.1.0-z", name="demo_app", mtime=999_999)

    planned = run(capsys, project, cache, keep=2, _ansible_check_mode=True)
    assert planned["pruned"] == [str(cache / "1.1.0-z"), str(cache / "1.2.0-a"), str(cache / "1.2.1-b")]
    assert "1.2.0-a" in os.listdir(cache) and not pip.calls

    result = run(capsys, project, cache, keep=2)
    assert result["changed"] and result["pruned"] == planned["pruned"]
    assert visible(cache) == sorted(["1.2.2-c", result["release"], "9.9.9-other", "not-a-wheelhouse"])
    assert ".build-1.2.3-xyz-abc" in os.listdir(cache)
    assert not [name for name in os.listdir(cache) if name.startswith(".remove-")]


def test_the_current_wheelhouse_is_never_pruned(project, cache, capsys, pip):
    current = run(capsys, project, cache)["release"]
    os.utime(cache / current / ".complete", (1_000, 1_000))  # older than all the others
    for age, release in enumerate(["1.3.0-a", "1.3.1-b"]):
        fake_wheelhouse(cache, release, mtime=2_000_000 + age)
    pip.calls.clear()
    result = run(capsys, project, cache, keep=1)
    assert result["changed"] and not pip.calls
    assert result["pruned"] == [str(cache / "1.3.0-a"), str(cache / "1.3.1-b")]
    assert visible(cache) == [current]
    assert not run(capsys, project, cache, keep=1)["changed"]


def test_wheelhouses_of_another_target_are_never_pruned(project, cache, capsys, pip):
    # hosts of Debian 12 and 13 converged together: each run prunes only wheelhouses of its own target, so the
    # other host's wheelhouse, built a moment ago and not copied yet, stays whatever its age
    python = params(project, cache)["python_version"]
    other = "3.13" if python != "3.13" else "3.11"
    fake_wheelhouse(cache, "1.0.0-other-python", mtime=1_000, python_version=other, architecture="x86_64",
                    glibc_version="2.36")
    fake_wheelhouse(cache, "1.0.0-other-arch", mtime=1_000, python_version=python, architecture="aarch64",
                    glibc_version="2.36")
    fake_wheelhouse(cache, "1.0.0-same", mtime=1_000, python_version=python, architecture="x86_64",
                    glibc_version="2.36")
    result = run(capsys, project, cache, keep=1)
    assert result["pruned"] == [str(cache / "1.0.0-same")]
    assert visible(cache) == sorted(["1.0.0-other-arch", "1.0.0-other-python", result["release"]])


def test_a_wheelhouse_in_use_counts_as_the_newest(project, cache, capsys, pip):
    current = run(capsys, project, cache)["release"]
    os.utime(cache / current / ".complete", (1_000, 1_000))  # built long ago
    fake_wheelhouse(cache, "1.4.0-newer", mtime=2_000_000)
    pip.calls.clear()
    again = run(capsys, project, cache, keep=2)  # used again: its time is now
    assert not again["changed"] and not pip.calls
    assert os.stat(cache / current / ".complete").st_mtime > 2_000_000
    # the next release of the same target keeps the one just used and drops the older one
    assert module.wheelhouses_to_prune(
        module.list_wheelhouses(str(cache), "demo-app", {"python_version": params(project, cache)["python_version"],
                                                         "architecture": "x86_64", "glibc_version": "2.36"}),
        "9.0.0-next", 2) == ["1.4.0-newer"]


def test_check_mode_does_not_mark_a_wheelhouse_used(project, cache, capsys, pip):
    current = run(capsys, project, cache)["release"]
    os.utime(cache / current / ".complete", (1_000, 1_000))
    assert not run(capsys, project, cache, _ansible_check_mode=True)["changed"]
    assert os.stat(cache / current / ".complete").st_mtime == 1_000


def test_wheelhouses_to_prune_counts_the_current_one():
    found = [(1, "a"), (2, "b"), (3, "c"), (3, "d"), (0, "cur")]
    assert module.wheelhouses_to_prune(found, "cur", 3) == ["a", "b"]
    assert module.wheelhouses_to_prune(found, "cur", 1) == ["a", "b", "c", "d"]
    assert module.wheelhouses_to_prune(found, "cur", 10) == []
    assert module.wheelhouses_to_prune(found, "new", 2) == ["a", "b", "c", "cur"]


# --- a prebuilt wheel ---------------------------------------------------------------------------------------

METADATA = "Metadata-Version: 2.1\nName: Demo-App\nVersion: 1.2.0\nSummary: a demo\n\nA long description.\n"
WHEEL_NAME = "demo_app-1.2.0-py3-none-any.whl"


def make_wheel(path, members=None):
    """A small wheel as a build backend writes it; `members` replaces its files (name -> text)."""
    if members is None:
        members = {"demo_app/__init__.py": "VERSION = '1.2.0'\n",
                   "demo_app-1.2.0.dist-info/METADATA": METADATA,
                   "demo_app-1.2.0.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    with zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


@pytest.fixture(name="wheel")
def fixture_wheel(tmp_path):
    (tmp_path / "dist").mkdir()
    return make_wheel(tmp_path / "dist" / WHEEL_NAME)


def wheel_params(project, cache, wheel, **changes):
    values = params(project, cache, wheel=str(wheel))
    del values["source"]
    values.update(changes)
    return values


def run_wheel(capsys, project, cache, wheel, **changes):
    return run_module(module.main, capsys, **wheel_params(project, cache, wheel, **changes))


def test_a_plan_from_a_wheel_reads_its_metadata_and_hashes_the_file(project, cache, wheel):
    plan = module.make_plan(wheel_params(project, cache, wheel))
    assert plan["name"] == "Demo-App" and plan["version"] == "1.2.0"
    assert plan["files"] == [(WHEEL_NAME, str(wheel))] and plan["wheel"] == str(wheel)
    assert plan["digest"] == module.compute_digest([(WHEEL_NAME, str(wheel))], LOCK.encode("utf-8"), "3.11", "x86_64",
                                                   "2.36")
    assert plan["release"] == "1.2.0-" + plan["digest"][:12] and plan["path"] == str(cache / plan["release"])
    assert plan["digest"] == module.make_plan(wheel_params(project, cache, wheel))["digest"]
    assert plan["digest"] != digest(project, cache)
    # the source plan names no wheel and hashes the source, as before
    assert module.make_plan(params(project, cache))["wheel"] is None


def test_the_digest_of_a_wheel_changes_with_its_bytes_its_name_the_lock_and_the_target(project, cache, wheel, tmp_path):
    def wheel_digest(path=wheel, **changes):
        return module.make_plan(wheel_params(project, cache, path, **changes))["digest"]

    seen = {wheel_digest()}
    members = {"demo_app/__init__.py": "VERSION = '1.2.0'\nFIXED = True\n",
               "demo_app-1.2.0.dist-info/METADATA": METADATA}
    make_wheel(wheel, members)  # same name and version, other contents
    seen.add(wheel_digest())
    renamed = tmp_path / "dist" / "demo_app-1.2.0-py3-none-any-2.whl"
    shutil.copyfile(str(wheel), str(renamed))
    seen.add(wheel_digest(renamed))
    (project / "requirements.lock").write_text(LOCK + "# changed\n")
    seen.add(wheel_digest())
    seen.add(wheel_digest(python_version="3.13"))
    assert len(seen) == 5


def test_a_build_with_a_wheel_copies_it_and_runs_only_pip_download(project, cache, capsys, pip, wheel):
    first = run_wheel(capsys, project, cache, wheel)
    assert first["changed"] and not first.get("failed"), first
    plan = module.make_plan(wheel_params(project, cache, wheel))
    assert first["release"] == plan["release"] and first["digest"] == plan["digest"]
    assert first["name"] == "Demo-App" and first["version"] == "1.2.0"
    assert first["app_wheel"] == WHEEL_NAME
    assert first["app_wheel_sha256"] == module.file_sha256(str(wheel))
    assert first["files"] == ["demo_app-1.2.0-py3-none-any.whl", "dep_one-1.0-py3-none-any.whl", "requirements.lock"]
    # pip wheel never ran; pip download did, for the target, as with a source
    assert [call[0] for call in pip.calls] == ["download"]
    assert "--python-version" in pip.calls[0] and "typing-extensions" in pip.requirements
    house = cache / first["release"]
    assert (house / WHEEL_NAME).read_bytes() == wheel.read_bytes()
    assert (house / "requirements.lock").read_text() == LOCK
    manifest = json.loads((house / ".complete").read_text())
    assert manifest["name"] == "Demo-App" and manifest["version"] == "1.2.0" and manifest["app_wheel"] == WHEEL_NAME
    assert sorted(os.listdir(cache)) == [".demo_app.lock", first["release"]]
    assert os.path.isfile(str(wheel))  # copied, not moved

    pip.calls.clear()
    second = run_wheel(capsys, project, cache, wheel)
    assert not second["changed"] and not pip.calls
    for key in ("release", "path", "app_wheel", "app_wheel_sha256", "files", "name", "version", "digest"):
        assert second[key] == first[key]


def test_check_mode_with_a_wheel_builds_nothing(project, cache, capsys, pip, wheel):
    planned = run_wheel(capsys, project, cache, wheel, _ansible_check_mode=True)
    assert planned["changed"] and planned["release"] == module.make_plan(wheel_params(project, cache, wheel))["release"]
    assert planned["name"] == "Demo-App" and planned["version"] == "1.2.0"
    assert planned["app_wheel"] is None and planned["app_wheel_sha256"] is None and planned["files"] == []
    assert not pip.calls and not cache.exists()
    built = run_wheel(capsys, project, cache, wheel)
    checked = run_wheel(capsys, project, cache, wheel, _ansible_check_mode=True)
    assert not checked["changed"] and checked["app_wheel"] == built["app_wheel"] == WHEEL_NAME
    assert checked["app_wheel_sha256"] == built["app_wheel_sha256"]


def test_a_changed_wheel_is_a_new_release_and_prunes_by_its_metadata_name(project, cache, capsys, pip, wheel):
    fake_wheelhouse(cache, "1.1.0-old", name="demo.app", mtime=1_000)  # Demo-App, normalised the same way
    fake_wheelhouse(cache, "9.9.9-other", name="other-project", mtime=1_000)
    first = run_wheel(capsys, project, cache, wheel)
    make_wheel(wheel, {"demo_app/__init__.py": "FIXED = True\n", "demo_app-1.2.0.dist-info/METADATA": METADATA})
    second = run_wheel(capsys, project, cache, wheel, keep=1)
    assert second["changed"] and second["release"] != first["release"]
    assert second["release"].startswith("1.2.0-")
    assert second["pruned"] == [str(cache / "1.1.0-old"), str(cache / first["release"])]
    assert visible(cache) == sorted(["9.9.9-other", second["release"]])


def test_a_wheel_and_the_source_build_the_same_project_under_one_lock(project, cache, capsys, pip, wheel):
    # pyproject's Demo.App and METADATA's Demo-App are one project: one lock file, pruned together
    from_source = run(capsys, project, cache)
    from_wheel = run_wheel(capsys, project, cache, wheel, keep=1)
    assert from_wheel["pruned"] == [str(cache / from_source["release"])]
    assert sorted(os.listdir(cache)) == [".demo_app.lock", from_wheel["release"]]


@pytest.mark.parametrize("members, message", [
    ({"demo_app/__init__.py": ""}, "holds no *.dist-info/METADATA at its top level"),
    ({"sub/demo_app-1.2.0.dist-info/METADATA": METADATA}, "holds no *.dist-info/METADATA at its top level"),
    ({"a-1.dist-info/METADATA": METADATA, "b-1.dist-info/METADATA": METADATA},
     "holds 2 *.dist-info/METADATA files (a-1.dist-info/METADATA, b-1.dist-info/METADATA), expected exactly one"),
    ({"demo_app-1.2.0.dist-info/METADATA": "Metadata-Version: 2.1\nVersion: 1.2.0\n"},
     "demo_app-1.2.0.dist-info/METADATA has no Name"),
    ({"demo_app-1.2.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: Demo-App\n"},
     "demo_app-1.2.0.dist-info/METADATA has no Version"),
    ({"demo_app-1.2.0.dist-info/METADATA": "Name: Demo-App\nVersion:  \n"},
     "demo_app-1.2.0.dist-info/METADATA has no Version"),
    ({"demo_app-1.2.0.dist-info/METADATA": "\nName: Demo-App\nVersion: 1.2.0\n"},  # all of it is the body
     "demo_app-1.2.0.dist-info/METADATA has no Name"),
    ({"demo_app-1.2.0.dist-info/METADATA": "Name: Demo-App\nVersion: 1/2\n"}, "Version '1/2' cannot name a directory"),
    ({"demo_app-1.2.0.dist-info/METADATA": "Name: ../demo\nVersion: 1.2.0\n"},
     "Name '../demo' is not a valid project name"),
])
def test_wheel_metadata_problems_are_named(project, cache, capsys, pip, tmp_path, members, message):
    bad = make_wheel(tmp_path / WHEEL_NAME, members)
    result = run_wheel(capsys, project, cache, bad)
    assert result["failed"] and ("wheel %s" % bad) in result["msg"] and message in result["msg"], result["msg"]
    assert not pip.calls and not cache.exists()
    with pytest.raises(module.WheelhouseError, match="^wheel %s" % str(bad).replace(".", r"\.")):
        module.read_wheel(str(bad))


def test_a_wheel_that_is_no_wheel_file_is_named(project, cache, capsys, pip, tmp_path, wheel):
    def failure(path):
        result = run_wheel(capsys, project, cache, path)
        assert result["failed"] and str(path) in result["msg"], result
        return result["msg"]

    assert failure(tmp_path / "none.whl") == "wheel %s is not a file" % (tmp_path / "none.whl")
    (tmp_path / "dir.whl").mkdir()
    assert failure(tmp_path / "dir.whl") == "wheel %s is not a file" % (tmp_path / "dir.whl")
    zipped = tmp_path / "demo_app-1.2.0.zip"
    shutil.copyfile(str(wheel), str(zipped))
    assert "is not a .whl file" in failure(zipped)
    text = tmp_path / "demo_app-1.2.0-py3-none-any.whl"
    text.write_text("not a zip\n")
    assert "wheel %s is not a zip archive" % text in failure(text)
    truncated = tmp_path / "cut" / WHEEL_NAME
    truncated.parent.mkdir()
    truncated.write_bytes(wheel.read_bytes()[:40])
    assert "is not a zip archive" in failure(truncated)
    assert not pip.calls and not cache.exists()


def test_source_and_wheel_are_exactly_one(project, cache, capsys, pip, wheel):
    both = run(capsys, project, cache, wheel=str(wheel))
    assert both["failed"] and "mutually exclusive" in both["msg"] and "source|wheel" in both["msg"], both["msg"]
    neither = wheel_params(project, cache, wheel)
    del neither["wheel"]
    result = run_module(module.main, capsys, **neither)
    assert result["failed"] and "one of the following is required: source, wheel" in result["msg"], result["msg"]
    assert not pip.calls and not cache.exists()
    # a direct caller of make_plan gets the same rule
    with pytest.raises(module.WheelhouseError, match="exactly one of source .* and wheel .* must be given, got both"):
        module.make_plan(params(project, cache, wheel=str(wheel)))
    with pytest.raises(module.WheelhouseError, match="exactly one of source .* and wheel .* must be given, got neither"):
        module.make_plan(neither)
    with pytest.raises(module.WheelhouseError, match="got neither"):
        module.make_plan(dict(neither, source=None, wheel=None))


# --- the real thing -----------------------------------------------------------------------------------------

def clean_pip_env(**extra):
    """No pip.conf, no PIP_* variables: the install must work from the wheelhouse alone."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", **extra)
    return env


@pytest.mark.skipif(os.environ.get("CRHQ_OFFLINE") == "1", reason="CRHQ_OFFLINE=1: no package index")
def test_real_wheelhouse_of_the_app_installs_with_no_index(tmp_path, capsys):
    cache = tmp_path / "cache"
    args = {"source": APP, "requirements": os.path.join(APP, "requirements.lock"), "python_version": "3.11",
            "cache_dir": str(cache)}
    result = run_module(module.main, capsys, **args)
    assert result["changed"] and not result.get("failed"), result.get("msg")
    house = result["path"]
    assert result["name"] == "crhq-app" and result["app_wheel"].startswith("crhq_app-%s-" % result["version"])
    assert "requirements.lock" in result["files"] and any(name.startswith("cryptography-") for name in result["files"])
    assert all(name.endswith(".whl") for name in result["files"] if name != "requirements.lock")
    # the symbolic links of the app arrived in the wheel as the files they point to
    with zipfile.ZipFile(os.path.join(house, result["app_wheel"])) as wheel:
        for name in ("envelope.py", "keyring.py"):
            with open(os.path.join(ROOT, "plugins", "module_utils", name), "rb") as handle:
                assert wheel.read("crhq_app/crypto/" + name) == handle.read()
    # the source tree was not touched by the build
    assert not os.path.exists(os.path.join(APP, "build")) and not os.path.exists(os.path.join(APP, "src", "crhq_app.egg-info"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    env = clean_pip_env()
    subprocess.run([python, "-m", "pip", "install", "--no-index", "--find-links", house, "--require-hashes",
                    "--only-binary", ":all:", "-r", os.path.join(house, "requirements.lock")],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([python, "-m", "pip", "install", "--no-index", "--no-deps", os.path.join(house, result["app_wheel"])],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    probe = subprocess.run([python, "-c", "import os, crhq_app.crypto.envelope as e; print(os.path.islink(e.__file__))"],
                           check=True, env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert probe.stdout.strip() == "False"

    again = run_module(module.main, capsys, **args)
    assert not again["changed"] and again["release"] == result["release"]
    shutil.rmtree(cache)
