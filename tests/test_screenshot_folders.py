"""Issue #13 item 10: `make test` never rewrites the README's screenshots. Test runs write theirs to
an ignored folder; only `make screenshots` points the browser tests at docs/screenshots."""

import os
import shutil
import subprocess

import pytest

from .browser_support import PROJECT_ROOT, SCREENSHOTS


def make_dry_run(target: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k != "SCREENSHOTS_DIR"}
    return subprocess.run(["make", "-n", target], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout


def test_a_test_run_writes_its_screenshots_where_git_ignores_them():
    if os.environ.get("SCREENSHOTS_DIR"):
        pytest.skip("this run was asked to write elsewhere (make screenshots)")
    assert SCREENSHOTS == PROJECT_ROOT / "build" / "screenshots"
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "-q", str(SCREENSHOTS / "order-list.png")], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, "build/screenshots must be ignored by git"


def test_only_make_screenshots_writes_the_readmes_screenshots():
    assert "SCREENSHOTS_DIR" not in make_dry_run("test")
    assert "SCREENSHOTS_DIR=docs/screenshots" in make_dry_run("screenshots")
