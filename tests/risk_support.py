"""Test support for the early warning: what `risk_detail` returns, for stand-ins of it."""

from __future__ import annotations

import numpy as np
import polars as pl

from journey.risk.kept import KeptModel, Window
from journey.risk.model import Encoding, RiskModel
from journey.risk.service import Detail


def detail_of(accounts: pl.DataFrame) -> Detail:
    """`risk_detail`'s result for `accounts` (RISK_DETAIL_SCHEMA), with a stand-in model
    fitted on nothing."""
    model = RiskModel(Encoding((), {}), None, 0.5)
    return Detail(accounts, KeptModel("", model, np.zeros(0), 0, Window((), 14)), fitted=True)
