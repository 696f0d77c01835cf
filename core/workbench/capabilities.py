"""What a model's forecasts can serve: a factor structure (factor exposures, factor returns, names) or only a
joint distribution (risk, optimisation, scenarios), and NotAvailable, in one line, when a view needs more."""
from __future__ import annotations

from core.errors import NotAvailable
from core.forecast.univariate import joint_reason
from core.models.catalogue import CATALOGUE
from core.models.registry import declared, label


def has_factors(fc_or_series) -> bool:
    """The model behind a forecast has an explicit factor structure (class attribute has_factors);
    covariance-only models written in factor form (sample, Ledoit-Wolf, EWMA) and univariate ones (F = 0) do not."""
    name = fc_or_series.model
    if not fc_or_series.n_factors:
        return False
    return bool(declared(name, "has_factors")) if name in CATALOGUE else True


def require_joint(fc_or_series, what: str) -> None:
    """NotAvailable for a univariate model: `what` needs a joint distribution across stocks."""
    if joint_reason(fc_or_series):
        name = fc_or_series.model or "this model"
        raise NotAvailable(f"{label(name)} is univariate (no joint distribution across stocks): {what} "
                           "needs a joint model")


def require_factors(fc_or_series) -> None:
    """NotAvailable for a model without a factor structure (covariance-only or univariate)."""
    if not has_factors(fc_or_series):
        require_joint(fc_or_series, "a factor structure (factor exposures or factor returns)")
        name = label(fc_or_series.model or "this model")
        raise NotAvailable(f"{name} is a covariance-only model, with no factor structure: no factor exposures or "
                           "factor returns (its risk is on the Overview and VaR pages)")


def sector_input(forecasts) -> bool:
    """The model behind `forecasts` (core.workbench.sources.Forecasts) is given each stock's sector as an input
    (its sector clusters are then partly by construction)."""
    return forecasts.model is not None and bool(forecasts.model.sector_input)
