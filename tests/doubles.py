"""Test doubles of the model contract: `ForecastOnly`, a model with nothing to fit and never saved, for tests that
need only `forecast` (subclass it and write `name` and `forecast`)."""
from core.models.protocol import RiskModel


class ForecastOnly(RiskModel):
    """Nothing to fit (fit returns the model) and never saved (to_saved / from_saved raise)."""

    def fit(self, panel, train_dates, valid_dates):
        return self

    def to_saved(self):
        raise NotImplementedError("a test double: never saved")

    @classmethod
    def from_saved(cls, meta, arrays, **options):
        raise NotImplementedError("a test double: never saved")
