"""The per-study effects record (:class:`StudyEffects`), shared by the 2x2 effect sizes (:mod:`.sizes`) and
the continuous ones (:mod:`.continuous`), so neither module imports the other at run time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._result import ResultMixin

__all__ = ["StudyEffects"]


@dataclass
class StudyEffects(ResultMixin):
    yi: np.ndarray  # analysis-scale effect per study (NaN where excluded)
    vi: np.ndarray  # its sampling variance (NaN where excluded)
    corrected: np.ndarray  # bool: ``add`` added to all four cells
    excluded: np.ndarray  # bool: double-zero study dropped (RR/OR/Peto)

    def to_frame(self) -> pd.DataFrame:
        """One row per study: ``yi, vi, corrected, excluded``."""
        return pd.DataFrame({"yi": self.yi, "vi": self.vi, "corrected": self.corrected, "excluded": self.excluded})

    def summary(self) -> str:
        """How many studies, how many corrected and how many excluded."""
        return (
            f"StudyEffects: {len(self.yi)} studies, {int(np.sum(self.corrected))} zero-cell corrected, "
            f"{int(np.sum(self.excluded))} excluded (double zero)"
        )
