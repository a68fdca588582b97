"""Every page script parses as an ES module: a syntax error would only show as a dead page."""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parent.parent / "static" / "js").glob("*.js"))


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (npm's runtime)")
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_a_page_script_is_a_valid_module(script, tmp_path):
    # node reads .mjs as a module whatever package.json says; the copy keeps the check off static/.
    copy = tmp_path / (script.stem + ".mjs")
    copy.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    result = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
