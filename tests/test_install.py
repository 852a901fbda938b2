"""A non-editable install in a clean virtual environment still loads the bundled data."""

from __future__ import annotations

import subprocess
import sys
import venv

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_wheel_install_in_clean_venv_loads_data(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # build a wheel from a copy of the source tree, install it without the source tree on the path
    wheel_dir = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheel_dir), str(ROOT)],
        check=True,
        timeout=600,
    )
    wheels = list(wheel_dir.glob("fmtrials-*.whl"))
    assert len(wheels) == 1
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheels[0])], check=True, timeout=900)
    code = (
        "import fmtrials, pathlib; "
        "d = fmtrials.data_dir(); assert 'site-packages' in str(d), d; "
        "print(fmtrials.validate_bundled()['outcomes'], len(fmtrials.load_arms()))"
    )
    r = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr
    n_out, n_arms = map(int, r.stdout.split())
    assert n_arms == 19 and n_out > 100
    r = subprocess.run([str(env_dir / "bin" / "fmtrials"), "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("fmtrials ")
