"""The public API is fully annotated: every public function's parameters and return value (the part of
"strict on the public API" that mypy's per-module overrides cannot yet enforce where private helpers are
unannotated)."""

from __future__ import annotations

import inspect

import pytest

import fmtrials

PUBLIC = sorted(fmtrials._LAZY)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_function_is_fully_annotated(name):
    obj = getattr(fmtrials, name)
    if inspect.isclass(obj):
        pytest.skip("classes: dataclass fields are annotated by construction")
    sig = inspect.signature(obj)
    missing = [p.name for p in sig.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a type: {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type"
