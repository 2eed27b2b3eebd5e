"""Listing what is registered loads no model library: `evalkit models` and `evalkit tasks` start
in well under a second whatever adapters are installed."""
import subprocess
import sys

import pytest


@pytest.mark.parametrize("command", [["models"], ["tasks"], ["tasks", "--verbose"]])
def test_listing_imports_no_torch(command):
    code = ("import sys\nfrom evalkit.cli import main\nmain(%r)\n"
            "heavy = [m for m in ('torch', 'transformers', 'torchvision') if m in sys.modules]\n"
            "assert not heavy, heavy\nprint('LISTED')" % command)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "LISTED" in out.stdout
    assert ("dynamic-vlm" if command == ["models"] else "videomme") in out.stdout
