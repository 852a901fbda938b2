"""One result protocol: every public result class offers ``to_frame``, ``to_dict``, ``summary`` (= ``str``),
``_repr_html_`` through the one renderer (``fmtrials._result.render_html``) and, with an interval, ``conf_int()``
returning a named :class:`~fmtrials._result.Interval`; each is exercised on a real instance."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import math
import pickle
import pkgutil
import sys
import warnings

import pandas as pd
import pytest

import fmtrials
from fmtrials import _result
from fmtrials._result import Interval, IntervalMixin, ResultMixin
from fmtrials.analysis.continuous import analyse_continuous
from fmtrials.analysis.extras import endpoint_diagnostics
from fmtrials.analysis.headline import headline_numbers

#: public dataclasses that are not results: inputs, records and policy keys
NOT_RESULTS = {
    "fmtrials.errors.Problem",  # one problem of a DataError
    "fmtrials.analysis.policy.Model",  # a (method, test) key of the analysis policy
    "fmtrials.consistency.reported.Comparison",  # an input row of the audit
    "fmtrials._vocab.Term",
    "fmtrials.report.options.ReportOptions",  # the options of one report
    "fmtrials.report.figures.FigureJob",  # one figure to draw
}

BCG = pd.DataFrame(
    {
        "study": [f"S{i}" for i in range(13)],
        "events_t": [4, 6, 3, 62, 33, 180, 8, 505, 29, 17, 186, 5, 27],
        "n_t": [123, 306, 231, 13598, 5069, 1541, 2545, 88391, 7499, 1716, 50634, 2498, 16913],
        "events_c": [11, 29, 11, 248, 47, 372, 10, 499, 45, 65, 141, 3, 29],
        "n_c": [139, 303, 220, 12867, 5808, 1451, 629, 88391, 7277, 1665, 27338, 2341, 17854],
        "ablat": [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33],
        "alloc": ["r", "r", "r", "r", "a", "a", "r", "r", "s", "s", "s", "s", "r"],
    }
)


def _public_dataclasses() -> set[type]:
    found = set()
    names = ["fmtrials"] + [
        m.name
        for m in pkgutil.walk_packages(fmtrials.__path__, "fmtrials.")
        if not any(p.startswith("_") for p in m.name.split("."))
    ]
    for mn in names:
        mod = importlib.import_module(mn)
        for name in getattr(mod, "__all__", ()):
            obj = getattr(mod, name, None)
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and obj.__module__.startswith("fmtrials"):
                found.add(obj)
    return found


@pytest.fixture(scope="module")
def instances():
    from fmtrials.effects import study_effects
    from fmtrials.meta import diagnostics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fmtrials.pool(BCG, method="REML")
        by = fmtrials.pool(BCG, method="REML", by="alloc")
        analysis = fmtrials.analyse(endpoints=["nausea", "pain_30"])
        out = {
            "PoolResult": r,
            "Heterogeneity": r.heterogeneity,
            "Prediction": r.prediction,
            "SubgroupTest": by.subgroup_test,
            "MetaRegression": fmtrials.meta_regression(BCG, ["ablat"]),
            "TrimFillResult": fmtrials.trim_and_fill(r),
            "Diagnostics": diagnostics(r),
            "Analysis": analysis,
            "EndpointAnalysis": analysis.results["nausea"],
            "MethodsText": fmtrials.methods_paragraph(analysis),
            "AuditResult": fmtrials.audit_reported("20", 100, "10", 100, "p=0.06"),
            "PInterval": fmtrials.parse_p("p < 0.05"),
            "BayesPool": fmtrials.bayes_pool(BCG.iloc[:6]),
            "WhatItMeans": fmtrials.what_it_means(analysis),
            "NetworkResult": fmtrials.network_meta(
                pd.DataFrame(
                    {
                        "study": ["a", "a", "b", "b", "c", "c", "c"],
                        "treatment": ["placebo", "A", "placebo", "B", "placebo", "A", "B"],
                        "events": [10, 20, 12, 18, 9, 15, 14],
                        "n": [50, 50, 60, 60, 40, 40, 40],
                    }
                ),
                event="beneficial",
            ),
            "ComparatorNetwork": fmtrials.comparator_network(),
            "Headline": headline_numbers(analysis),
            "EndpointDiagnostics": endpoint_diagnostics(analysis["nausea"]),
            "ContinuousEndpoint": analyse_continuous(
                pd.DataFrame(
                    {
                        "study": ["A", "B", "C"],
                        "endpoint": "pain",
                        "mean_t": [-20.0, -18.0, -25.0],
                        "sd_t": [22.0, 24.5, 20.0],
                        "n_t": [100, 120, 80],
                        "mean_c": [-12.0, -11.0, -15.0],
                        "sd_c": [23.0, 25.0, 21.0],
                        "n_c": [98, 118, 82],
                    }
                )
            )[0],
            "StudyEffects": study_effects(
                BCG.events_t.to_numpy(), BCG.n_t.to_numpy(), BCG.events_c.to_numpy(), BCG.n_c.to_numpy(), measure="RR"
            ),
        }
    return out


def test_every_public_result_class_has_the_protocol_and_an_instance_here(instances):
    results = {c for c in _public_dataclasses() if f"{c.__module__}.{c.__qualname__}" not in NOT_RESULTS}
    missing = sorted(c.__qualname__ for c in results if not issubclass(c, ResultMixin))
    assert not missing, f"result classes without the protocol: {missing}"
    assert {c.__qualname__ for c in results} <= set(instances), "give every result class an instance in this test"
    for c in results:
        for name in ("to_frame", "to_dict", "summary", "_repr_html_", "__str__"):
            assert callable(getattr(c, name)), (c, name)


@pytest.fixture
def renders(monkeypatch):
    """Count calls of the one renderer, wherever it was imported."""
    calls = []
    real = _result.render_html

    def spy(*args, **kwargs):
        calls.append(args[0] if args else kwargs.get("kind"))
        return real(*args, **kwargs)

    for mod in list(sys.modules.values()):
        if getattr(mod, "__name__", "").startswith("fmtrials") and getattr(mod, "render_html", None) is real:
            monkeypatch.setattr(mod, "render_html", spy)
    return calls


@pytest.mark.parametrize(
    "name",
    [
        "PoolResult",
        "Heterogeneity",
        "Prediction",
        "SubgroupTest",
        "MetaRegression",
        "TrimFillResult",
        "Diagnostics",
        "Analysis",
        "EndpointAnalysis",
        "MethodsText",
        "AuditResult",
        "PInterval",
        "BayesPool",
        "WhatItMeans",
        "StudyEffects",
        "Headline",
        "EndpointDiagnostics",
    ],
)
def test_each_method_works_on_a_real_instance(instances, renders, name):
    x = instances[name]
    d = x.to_dict()
    json.dumps(d, allow_nan=False)  # plain JSON: no NaN, no numpy, no DataFrame
    assert {f.name.lstrip("_") for f in dataclasses.fields(x)} <= set(d)
    frame = x.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame.columns) > 0 and len(frame) > 0
    text = x.summary()
    assert isinstance(text, str) and text.strip() and str(x) == text
    page = x._repr_html_()
    assert page.startswith("<div class='fmtrials-") and page.endswith("</div>") and renders, name


def test_to_dict_reads_the_fields_not_a_copy_of_them(instances):
    h = instances["PoolResult"].heterogeneity
    d = h.to_dict()
    assert d["q"] == h.q and d["tau2"] == h.tau2 and d["i2_tau2"] == h.i2_tau2
    p = instances["PInterval"]
    assert p.to_dict() == {
        "text": "p < 0.05",
        "relation": "<",
        "value": 0.05,
        "lower": 0.0,
        "upper": 0.05,
        "lower_closed": True,
        "upper_closed": False,
    }
    assert str(p) == "[0, 0.05)"  # the text the audit prints, unchanged


def test_conf_int_is_a_named_interval_where_there_is_an_interval(instances):
    with_interval = [n for n, x in instances.items() if hasattr(x, "conf_int")]
    assert set(with_interval) == {"PoolResult", "TrimFillResult", "BayesPool", "EndpointAnalysis", "NetworkResult"}
    # a network has one interval per treatment against its reference: a mapping of named Intervals
    net = instances["NetworkResult"]
    rel = net.relative_effects().set_index("treatment")
    for t, i in net.conf_int().items():
        assert isinstance(i, Interval) and i.level == pytest.approx(1 - net.alpha)
        assert (i.estimate, i.ci_low, i.ci_high) == pytest.approx(tuple(rel.loc[t, ["estimate", "ci_low", "ci_high"]]))
    for n in set(with_interval) - {"NetworkResult"}:
        x = instances[n]
        i = x.conf_int()
        own = x.main if n == "EndpointAnalysis" else x
        assert isinstance(i, Interval) and isinstance(i, tuple) and len(i) == 2
        assert (i.estimate, i.ci_low, i.ci_high) == pytest.approx((own.estimate, own.ci_low, own.ci_high), rel=1e-12)
        assert i.ci_low <= i.estimate <= i.ci_high and i.level == pytest.approx(1 - own.alpha)
        lo, hi = i
        assert (lo, hi) == (i.ci_low, i.ci_high)
    assert issubclass(type(instances["TrimFillResult"]), IntervalMixin)


def test_pool_conf_int_at_another_level_is_the_t_or_z_interval():
    r = fmtrials.pool(BCG, method="DL", test="hksj")
    i = r.conf_int(0.10)
    # HKSJ: beta -/+ t(k - 1, 0.95) se, back on the ratio scale (scipy's t quantile, independent of fmtrials)
    from scipy import stats

    t = stats.t.ppf(0.95, r.k - 1)
    assert (i.ci_low, i.ci_high) == pytest.approx((math.exp(r.beta - t * r.se), math.exp(r.beta + t * r.se)), rel=1e-12)
    assert i.level == pytest.approx(0.90) and i.estimate == r.estimate


def test_interval_is_immutable_picklable_and_json_safe():
    i = Interval(1.5, 1.2, 1.9, 0.95)
    with pytest.raises(AttributeError):
        i.level = 0.9  # type: ignore[misc]
    j = pickle.loads(pickle.dumps(i))
    assert j == i and (j.estimate, j.level) == (1.5, 0.95)
    assert _result.jsonable(Interval(1.0, float("nan"), 2.0, 0.95)) == {
        "estimate": 1.0,
        "ci_low": None,
        "ci_high": 2.0,
        "level": 0.95,
    }


def test_a_fixed_level_interval_refuses_another_alpha(instances):
    with pytest.raises(fmtrials.DataError):
        instances["BayesPool"].conf_int(0.10)
    assert instances["BayesPool"].conf_int(0.05) == instances["BayesPool"].conf_int()


def test_the_renderer_escapes_every_text():
    page = _result.render_html(
        "x", title="<b>", paragraphs=["<i>"], header=["<th>"], rows=[["<td>"]], text="a\n<b>", footer=["&"], items=["<"]
    )
    assert "<b>" not in page.replace("<p><b>", "").replace("</b></p>", "") and "<i>" not in page
    assert "&lt;td&gt;" in page and "a<br>&lt;b&gt;" in page and "<li>&lt;</li>" in page
