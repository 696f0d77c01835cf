"""The project's own exception types: every error a user can cause is one of these."""


class NeuralFactorsError(Exception):
    """Base class. The message names the problem and the fix, in one line."""


class DataError(NeuralFactorsError):
    """A data file or table is unusable (bad format, bad values, too little data)."""


class ModelError(NeuralFactorsError):
    """A model cannot be fitted, loaded or asked for this forecast."""


class CheckpointError(NeuralFactorsError):
    """A saved model or output file is missing, corrupted or from another version."""


class PortfolioError(NeuralFactorsError):
    """Weights or constraints are invalid or infeasible."""


class NotAvailable(NeuralFactorsError):
    """The chosen model does not provide what a view shows (shown as information, not an error)."""


class NotYours(NeuralFactorsError):
    """A workspace, upload or run that another user owns, or none at all: the same answer for both, so an id
    tells nothing about what others hold."""
