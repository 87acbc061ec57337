"""Early warning: predict which accounts turn off track soon, learned from usage history.

Entry points: `risk_detail` (for the nightly run and the report) and `with_risk` (fold it
into the accounts-result frame); `train`, `evaluate_model` in journey.risk.service.
See docs/risk.md.

The names are loaded on first use: scikit-learn takes seconds to import, and every `journey`
command would otherwise pay for it at start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RISK_DETAIL_SCHEMA": "journey.risk.service",
    "RiskOptions": "journey.risk.service",
    "risk_detail": "journey.risk.service",
    "with_risk": "journey.risk.status",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'journey.risk' has no attribute {name!r}")
