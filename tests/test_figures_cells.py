"""The figure options reach the files (issue 29, class 2): ``dpi`` is the PNG's own resolution (its pHYs chunk,
read here with struct, not by the plotting library) and ``treatment_label`` is the arm name in every figure that
names the arms."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from fmtrials import write_report

DATA = Path(__file__).parent / "data"
#: figures that show no arm names (effect against its standard error): nothing to label
NO_ARMS = ("_funnel", "_baujat", "_bubble")


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = {}, 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        kind, body = data[i + 4 : i + 8], data[i + 8 : i + 8 + n]
        assert struct.unpack(">I", data[i + 8 + n : i + 12 + n])[0] == zlib.crc32(kind + body)
        out.setdefault(kind, body)
        i += 12 + n
    return out


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("fig") / "r"
    write_report(out, data=DATA / "lee2004_outcomes.csv", quiet=True, dpi=150, treatment="Drug Q")
    return out / "figures"


def test_every_png_says_150_dpi(figures):
    pngs = sorted(figures.glob("*.png"))
    assert pngs
    for p in pngs:
        x, y, unit = struct.unpack(">IIB", png_chunks(p.read_bytes())[b"pHYs"])
        assert unit == 1 and x == y == round(150 / 0.0254), p.name  # pixels per metre


def test_every_figure_with_arms_names_the_treatment_label(figures):
    svgs = sorted(figures.glob("*.svg"))
    assert svgs
    for s in svgs:
        text = s.read_text(encoding="utf-8")
        assert "milnacipran" not in text.lower(), s.name
        if not s.stem.endswith(NO_ARMS):
            assert "Drug Q" in text, s.name


@pytest.mark.parametrize("dpi", [72, 150])
def test_save_figure_writes_the_requested_dpi(tmp_path, dpi):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fmtrials import save_figure

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "f.png", dpi=dpi)
    plt.close(fig)
    data = path.read_bytes()
    x, y, unit = struct.unpack(">IIB", png_chunks(data)[b"pHYs"])
    assert unit == 1 and x == y == round(dpi / 0.0254)
    assert struct.unpack(">II", data[16:24]) == (2 * dpi, 1 * dpi)
