"""Per-comparison effect measures, confidence intervals and tests for 2x2 tables (see the submodules)."""

from ._impl import *  # noqa: F401,F403
from ._impl import __all__ as _impl_all
from ._impl import _choice, _nnt_frame  # noqa: F401  (used by comparisons until the renovation)
from .sizes import study_effects  # noqa: F401

__all__ = list(_impl_all)
