"""Fine-tuning a trained NeuralFactors network on another universe (`train --init DIR`).

The network keeps its architecture; only its training settings change (FINETUNE, then the user's
overrides). The universe's sectors are matched to the training sectors (core.models.neuralfactors.sectors);
each sector the network never saw gets its own embedding row and, with sector factors, its own factor,
both started from what the network does for an unknown sector: the unknown-sector embedding row, and
the mean prior (scale, dof) of the training sectors' factors (an unknown sector has no factor of its own).

Which weights a fine-tune keeps (the selection rule, written before any result was read; issue 31):

- Candidates. Step 0 is the zero-shot network: the start network exactly as `forecasts(panel, "neuralfactors")`
  serves this universe without training (its own sectors, no new embedding rows or factors). The other
  candidates are the fine-tuned weights at every validation of the trainer (every `valid_every` steps, and at a
  stop by the time budget). Each is scored on the file's VALIDATION split only, for
    nll_joint   the trainer's validation score (IWAE, k_eval samples, per stock, returns / the training std), and
    calib_port  the calibration error of the equal-weight portfolio of the day's stocks (core.risk.calibration.
                portfolio_calibration: the same PITs, draws and seeds as `evaluate`'s calib_port).
- Rule. A step s > 0 qualifies when calib_port(s) <= calib_port(0) + CALIB_TOLERANCE (0: no worse than
  zero-shot's) and nll_joint(s) < nll_joint(0) (it must improve the likelihood too). The chosen step is the
  qualifying step with the lowest nll_joint. calib_port is computed only for a step whose nll_joint is below that
  of the best step kept so far (zero-shot's at first), since no other step could be chosen.
- No qualifying step: the adaptation is not kept. The run serves the zero-shot network itself (step 0 is not an
  adaptation) and says "no adaptation improved both; serving the zero-shot network".
- Recorded: the run's training summary holds `selection` (the rule, zero-shot's scores, the chosen step and its
  scores, or none) and the trainer's history holds each candidate's scores; `train` prints it and the dashboard
  shows it beside the adapted run. Patience counts validations without a newly chosen step.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from core.data.features import FeatureScaler
from core.errors import ModelError
from core.models.neuralfactors.config import NFConfig
from core.models.neuralfactors.sectors import match_sectors

if TYPE_CHECKING:
    import torch  # the selection rule's words (selection_text) are read by the dashboard without torch

#: settings that define the network's shape, inputs and function; fine-tuning keeps them
ARCHITECTURE = ("n_factors", "lookback", "hidden", "sector_dim", "sequence", "heads", "sector_factors", "dof_floor",
                "regime_prior", "peer_returns", "pc_inputs", "pc_direct")
#: training settings of a fine-tune (a wall-clock budget or early stopping usually ends it first)
FINETUNE = {"lr": 1e-3, "steps": 3000, "days_per_step": 4, "polyak_start": 3000, "valid_every": 20,
            "valid_days": 0, "patience": 4}
#: how much worse than zero-shot's a kept step's validation calib_port may be (0: no worse)
CALIB_TOLERANCE = 0.0
#: what a fine-tune says when no step qualified
NOT_ADAPTED = "no adaptation improved both; serving the zero-shot network"


def selection_text(selection: dict | None) -> str:
    """The selection of a fine-tune (TrainResult.selection, as a run records it) in one line; "" for a run that is
    not a fine-tune (or was trained before the rule)."""
    if not selection:
        return ""
    ref, name = selection["reference"], selection["guard"]
    zero = f"zero-shot (step 0): validation nll_joint {ref['valid']:.4f}, {name} {ref[name]:.4f}"
    tol = selection.get("tolerance") or 0.0
    bound = "no worse than zero-shot's" + (f" + {tol:g}" if tol else "")
    n = selection["candidates"]
    if not selection["kept"]:
        return (f"{NOT_ADAPTED}: none of the {n} validated step{'s' if n != 1 else ''} had both a lower nll_joint "
                f"and a {name} {bound}; {zero}")
    return (f"adapted: kept step {selection['step']} (of {n} validated) by the rule lowest validation nll_joint with "
            f"{name} {bound}: nll_joint {selection['valid']:.4f}, {name} {selection[name]:.4f}; "
            f"{zero}")


def selection_lines(selection: dict | None) -> list[str]:
    """selection_text as the notes of a fit (none for a run that is not a fine-tune)."""
    text = selection_text(selection)
    return [text] if text else []


def finetune_config(start: NFConfig, overrides: dict) -> NFConfig:
    """The start network's configuration with FINETUNE's training settings and `overrides` (not architecture)."""
    fixed = sorted(set(overrides) & set(ARCHITECTURE))
    if fixed:
        raise ModelError(f"--set {', '.join(fixed)}: fine-tuning keeps the network's architecture; drop it, or "
                         "train from scratch without --init")
    return replace(start, **{**FINETUNE, **overrides})


def extend_sectors(scaler: FeatureScaler, sectors) -> tuple[FeatureScaler, dict[str, str], list[str]]:
    """(the scaler with the universe's new sectors appended, aliases {file name: training sector}, notes)
    for a universe whose stocks have `sectors` (names, "Unknown" where none is given)."""
    aliases, new = match_sectors(sectors, scaler.sectors)
    notes = []
    if aliases:
        notes.append("sectors mapped to the network's training sectors: "
                     + "; ".join(f"{a} -> {b}" for a, b in sorted(aliases.items())))
    if new:
        notes.append(f"{len(new)} sectors the network never saw get their own embedding and sector factor, started "
                     f"from the unknown sector: {', '.join(new)}")
    return replace(scaler, sectors=list(scaler.sectors) + new), aliases, notes


def expand_state(state: dict[str, torch.Tensor], cfg: NFConfig, n_old: int, n_new: int) -> dict[str, torch.Tensor]:
    """A network state for n_new >= n_old sectors from one for n_old: embedding rows n_old..n_new-1 (the new
    sectors) and the last row (unknown) copy the old unknown row; with cfg.sector_factors the new sector
    factors' prior parameters (and regime-prior rows) are the mean of the old sector factors'. Other weights are shared unchanged."""
    import torch

    out = dict(state)
    emb = state["embedder.sector.weight"]  # (n_old + 1, sector_dim)
    out["embedder.sector.weight"] = torch.cat([emb[:n_old], emb[n_old:].expand(n_new - n_old + 1, -1)])
    if cfg.sector_factors and n_new > n_old:
        for key in ("prior_scale_raw", "prior_dof_raw"):
            v = state[key]  # (n_factors + n_old,)
            out[key] = torch.cat([v, v[cfg.n_factors:].mean().expand(n_new - n_old)])
        if "regime.weight" in state:  # (n_factors + n_old, H): the regime prior's rows
            w = state["regime.weight"]
            out["regime.weight"] = torch.cat([w, w[cfg.n_factors:].mean(0, keepdim=True).expand(n_new - n_old, -1)])
    return out
