"""One vocabulary, checked: every public signature uses the names declared in ``fmtrials._vocab.GLOSSARY``.

* every parameter of every public callable (``fmtrials.__all__`` and the ``__all__`` of every public module,
  methods of public classes included) is a glossary name;
* every choice parameter (a glossary term with choices) is annotated with one of its ``_vocab`` Literals;
* options (glossary terms that are not data) are keyword-only in the package API (``fmtrials.__all__`` and the
  subpackages' ``__all__``);
* deprecated spellings still work for one release, with a DeprecationWarning, and metafor's and RevMan's
  spellings are aliases.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pandas as pd
import pytest

import fmtrials
from fmtrials import _vocab

SUBPACKAGES = ("effects", "meta", "consistency", "decision", "plots", "analysis", "revman")


def _public_modules() -> list[str]:
    names = ["fmtrials"]
    for m in pkgutil.walk_packages(fmtrials.__path__, "fmtrials."):
        if not any(part.startswith("_") for part in m.name.split(".")):
            names.append(m.name)
    return names


def _callables(module_names) -> dict[str, object]:
    """Public callables defined in public fmtrials modules, by qualified name (functions and class methods)."""
    found: dict[str, object] = {}
    for mn in module_names:
        mod = importlib.import_module(mn)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            funcs = []
            if inspect.isfunction(obj):
                funcs = [obj]
            elif inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, (classmethod, staticmethod)):
                        value = value.__func__
                    if inspect.isfunction(value):
                        funcs.append(value)
            for f in funcs:
                # a function exported by a public module counts wherever it is defined (fmtrials.data's
                # functions live in private modules of that package and are public through its __all__)
                module = getattr(f, "__module__", "") or ""
                if module.startswith("fmtrials") and not name.startswith("_"):
                    found[f"{module}.{f.__qualname__}"] = f
    return found


ALL = _callables(_public_modules())
API = _callables(["fmtrials", *(f"fmtrials.{p}" for p in SUBPACKAGES)])
#: the names of every Literal declared in _vocab, by object
LITERAL_NAMES = {id(v): k for k, v in vars(_vocab).items() if getattr(v, "__origin__", None) is not None}


def _params(f):
    return [p for p in inspect.signature(f).parameters.values() if p.name not in ("self", "cls")]


def test_the_walk_finds_the_public_api():
    assert len(ALL) > 100 and len(API) > 60
    assert "fmtrials.meta.pooling.pool" in ALL or any(k.endswith(".pool") for k in ALL)
    assert any(k.endswith("small_study_test") for k in API)


def test_every_public_parameter_is_in_the_glossary():
    missing = sorted(f"{q}({p.name})" for q, f in ALL.items() for p in _params(f) if p.name not in _vocab.GLOSSARY)
    assert not missing, "declare these names in fmtrials._vocab.GLOSSARY or use a declared one:\n" + "\n".join(missing)


def test_every_choice_parameter_is_annotated_with_a_vocab_literal():
    bad = []
    for q, f in ALL.items():
        for p in _params(f):
            term = _vocab.GLOSSARY.get(p.name)
            if term is None or not term.choices:
                continue
            allowed = {LITERAL_NAMES[id(c)] for c in term.choices}
            words = set(re.findall(r"[A-Za-z_]\w*", str(p.annotation)))
            if not (words & allowed) or "str" in words:
                bad.append(f"{q}({p.name}: {p.annotation}) not one of {sorted(allowed)}")
    assert not bad, "\n".join(bad)


#: options that may still be given by position, each for a reason (the function's own object, or a spelling
#: users know from elsewhere); every entry must still exist (no stale exemptions)
POSITIONAL_OK = {
    "conf_int(alpha)": "statsmodels' results.conf_int(alpha) spelling (every result's conf_int)",
    "figure_bytes(fmt)": "the format is what is asked for (figure_bytes(fig, 'svg'))",
    "export_figure(formats)": "the formats are what is asked for",
    "example_path(kind)": "the kind is what is asked for (example_path('csv'))",
    "sensitivity_grid(measure)": "the measure is the key looked up",
    "requested_model(method)": "the choices are the key looked up",
    "requested_model(test)": "the choices are the key looked up",
    "requested_model(measure)": "the choices are the key looked up",
    "coverage(ci)": "the interval method is the object evaluated (coverage('wald', n_t, n_c, p_t, p_c))",
}


def test_options_are_keyword_only_in_the_package_api():
    bad, exempt = [], set()
    for q, f in API.items():
        for p in _params(f):
            term = _vocab.GLOSSARY.get(p.name)
            if term is None or term.data or p.kind is p.KEYWORD_ONLY:
                continue
            key = f"{f.__name__}({p.name})"
            if key in POSITIONAL_OK:
                exempt.add(key)
            else:
                bad.append(f"{q}({p.name})")
    assert not bad, "options must be keyword-only:\n" + "\n".join(sorted(bad))
    assert exempt == set(POSITIONAL_OK)


def test_glossary_choices_are_vocab_literals_and_every_term_is_used():
    used = {p.name for f in ALL.values() for p in _params(f)}
    for name, term in _vocab.GLOSSARY.items():
        assert term.meaning and all(id(c) in LITERAL_NAMES for c in term.choices), name
    assert set(_vocab.GLOSSARY) <= used, sorted(set(_vocab.GLOSSARY) - used)


# ---------------------------------------------------------------------------------------------- aliases, renames

BCG = pd.DataFrame(
    {
        "events_t": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
        "n_t": [123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716, 50634, 2498, 16913],
        "events_c": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
        "n_c": [139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665, 27338, 2341, 17854],
        "ablat": [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33],
    }
)


@pytest.mark.parametrize("alias,canonical", [("knha", "hksj"), ("KNHA", "hksj"), ("adhoc", "hksj-adhoc")])
def test_metafor_test_spellings_are_aliases_in_pool(alias, canonical):
    a = fmtrials.pool(BCG, method="REML", test=alias)
    b = fmtrials.pool(BCG, method="REML", test=canonical)
    assert a.test == canonical and (a.estimate, a.ci_low, a.ci_high) == (b.estimate, b.ci_low, b.ci_high)


def test_meta_regression_and_small_study_speak_hksj_and_accept_knha():
    # metafor: rma(yi, vi, mods = ~ ablat, data = escalc("RR", ...bcg), test = "knha") -> t df = 11
    a = fmtrials.meta_regression(BCG, ["ablat"], measure="RR", test="knha")
    b = fmtrials.meta_regression(BCG, ["ablat"], measure="RR", test="hksj")
    assert a.test == b.test == "hksj"
    assert np.allclose(a.to_frame()["p_value"], b.to_frame()["p_value"])
    s = fmtrials.small_study_test(BCG, measure="RR", test="egger_rma", method="REML", fit_test="knha")
    assert s.at[0, "statistic_name"] == "t" and s.at[0, "df"] == 11
    with pytest.raises(fmtrials.DataError):
        fmtrials.small_study_test(BCG, test="funnel")
    with pytest.warns(DeprecationWarning, match="use fit_test="):  # the previous release's test="knha"
        fmtrials.small_study_test(BCG, test="knha")


def test_small_study_test_old_names_still_work_with_a_warning():
    new = fmtrials.small_study_test(BCG, measure="RR", test="egger_rma", method="DL", fit_test="hksj")
    with pytest.warns(DeprecationWarning) as rec:
        old = fmtrials.small_study_test(BCG, measure="RR", method="egger_rma", tau2_method="DL", test="knha")
    assert {str(w.message).split("(")[1].split("=")[0] for w in rec} == {"method", "tau2_method", "test"}
    pd.testing.assert_frame_equal(old, new)


def test_zero_cell_correction_is_add_everywhere_and_cc_still_works():
    # metafor escalc("RR", ai=0, n1i=10, ci=3, n2i=10, add=0.25, to="only0"): yi = log(0.25/10.25 / (3.25/10.25))
    new = fmtrials.risk_ratio(0, 10, 3, 10, add=0.25)
    assert new.at[0, "estimate"] == pytest.approx(0.25 / 3.25, rel=1e-12)
    with pytest.warns(DeprecationWarning, match=r"risk_ratio\(cc=...\) is deprecated: use add="):
        old = fmtrials.risk_ratio(0, 10, 3, 10, cc=0.25)
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(DeprecationWarning):
        o = fmtrials.odds_ratio(0, 10, 3, 10, cc=0.25)
    assert o.at[0, "estimate"] == pytest.approx((0.25 * 7.25) / (10.25 * 3.25), rel=1e-12)
    t = BCG.iloc[:2]
    with pytest.warns(DeprecationWarning):
        c_old = fmtrials.compare(t, cc=0.25)
    c_new = fmtrials.compare(t, add=0.25)
    assert c_new.attrs["methods"]["add"] == 0.25
    pd.testing.assert_frame_equal(c_old, c_new)
    with pytest.raises(TypeError, match="both"):
        fmtrials.risk_ratio(0, 10, 3, 10, cc=0.25, add=0.5)


def test_study_effects_speaks_the_count_names():
    from fmtrials.effects import study_effects

    args = [np.array([0, 4]), np.array([10, 10]), np.array([2, 2]), np.array([10, 10])]
    new = study_effects(*args, measure="RR")
    with pytest.warns(DeprecationWarning):
        old = study_effects(a=args[0], n1=args[1], c=args[2], n2=args[3], measure="RR")
    # escalc: study 1 corrected, (0.5/10.5) / (2.5/10.5) = 0.2; study 2 4/2 = 2
    assert np.allclose(np.exp(new.yi), [0.2, 2.0]) and np.array_equal(old.yi, new.yi)
    assert list(inspect.signature(study_effects).parameters)[:4] == ["events_t", "n_t", "events_c", "n_c"]


def test_arm_names_are_treatment_and_control_in_every_plot():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    res = fmtrials.pool(BCG.iloc[:4], method="MH")
    for plot in (fmtrials.plot_forest, fmtrials.plot_labbe):
        names = inspect.signature(plot).parameters
        assert "treatment" in names and "control" in names and not ({"favours", "arms"} & set(names))
    fig = fmtrials.plot_forest(res, treatment="Drug X", control="Sugar")
    texts = {t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))}
    with pytest.warns(DeprecationWarning):
        fig_old = fmtrials.plot_forest(res, favours=("Sugar", "Drug X"))
    texts_old = {t.get_text() for t in fig_old.findobj(lambda a: hasattr(a, "get_text"))}
    assert texts == texts_old and any("Favours Drug X" in t for t in texts) and any("Sugar" in t for t in texts)
    with pytest.warns(DeprecationWarning):
        fig2 = fmtrials.plot_labbe(BCG.iloc[:4], arms=("Sugar", "Drug X"))
    assert fig2.axes[0].get_xlabel().startswith("Sugar")
    plt.close("all")
    assert "treatment" in inspect.signature(fmtrials.write_report).parameters


def test_revman_model_says_common_as_pool_result():
    df = fmtrials.read_revman(fmtrials.revman.example_path("csv"))
    assert set(df.model) <= {"common", "random"} and "fixed" not in set(df.model)
    assert fmtrials.pool(BCG.iloc[:3], method="MH").model == "common"
