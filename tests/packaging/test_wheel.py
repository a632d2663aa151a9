"""The wheel and the sdist carry resources/ (a plain install once had none): built here
from a clean copy of the checkout, the wheel from the sdist, with the same code as CI's
.ci/wheel_smoke (which also installs the wheel into a fresh venv and runs commands)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fieldapp.cli import main
from fieldapp.core.resources import resource_path

TOP = Path(__file__).resolve().parents[2]


def _load_smoke():
    loader = importlib.machinery.SourceFileLoader("wheel_smoke", str(TOP / ".ci" / "wheel_smoke"))
    spec = importlib.util.spec_from_loader("wheel_smoke", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


smoke = _load_smoke()


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    return smoke.build_dists(tmp_path_factory.mktemp("dists"))


def test_wheel_and_sdist_carry_the_same_resources_as_the_checkout(dists):
    sdist, wheel = dists
    assert smoke.check_contents(sdist, wheel) > 20
    shipped = smoke.wheel_resources(wheel)
    for name in ("policies/cn-bank-home-visit.toml", "policies/cn.toml", "policies/examples/visit_allowed.json",
                 "scripts/home_visit_cn.yaml", "fonts/wqy-microhei.ttc",
                 "fonts/wqy-microhei.LICENSE-Apache-2.0.txt", "fonts/wqy-microhei.COPYRIGHT",
                 "translations/zh_CN/ui.po", "icons/fieldapp.svg", "demo/terms_example.json",
                 "demo/cases-sample.csv"):
        assert name in shipped, name
    assert not any(n.startswith("demo/screenshots/") for n in shipped)  # README pictures stay out


def test_the_wheel_has_every_module_and_the_migration_templates(dists):
    _sdist, wheel = dists
    names = smoke.wheel_modules(wheel)
    assert smoke.checkout_modules() <= names
    assert {"fieldapp/server/migrations/script.py.mako", "fieldapp/store/migrations/script.py.mako"} <= names


def test_a_missing_or_changed_resource_is_named(dists):
    """The comparison itself: a wheel missing a file, or with a changed one, is named."""
    _sdist, wheel = dists
    shipped = smoke.wheel_resources(wheel)
    fewer = {k: v for k, v in shipped.items() if k != "policies/cn.toml"}
    changed = {**shipped, "scripts/home_visit_cn.yaml": "0" * 64}
    assert smoke.difference("the checkout", shipped, "the wheel", fewer) == [
        "in the checkout, not in the wheel: policies/cn.toml"]
    assert smoke.difference("the checkout", shipped, "the wheel", changed) == [
        "differs between the checkout and the wheel: scripts/home_visit_cn.yaml"]


def test_the_locator_finds_the_resources_inside_the_unpacked_wheel(dists, tmp_path):
    """As from site-packages: the package alone on the path (no site, no checkout)."""
    _sdist, wheel = dists
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    code = ("from fieldapp.core.resources import resources_root, resource_path; "
            "print(resources_root()); print(resource_path('fonts', 'wqy-microhei.ttc'))")
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    root, font = (Path(line) for line in done.stdout.splitlines())
    assert root == site / "fieldapp" / "_resources"
    assert font.is_file() and font.is_relative_to(site)


@pytest.mark.parametrize("policy", ["cn-bank-home-visit", "seed", "cn"])
@pytest.mark.parametrize(("example", "code"), [("visit_allowed.json", 0), ("checkin_blocked.json", 1)])
def test_the_shipped_example_contexts_give_their_documented_result(policy, example, code, capsys):
    """resources/policies/examples/README.md: allowed (0) and blocked (1) under the bank preset (also by its earlier id, seed) and cn."""
    assert main(["check", "--policy", policy, str(resource_path("policies", "examples", example))]) == code
    assert capsys.readouterr().err == ""
