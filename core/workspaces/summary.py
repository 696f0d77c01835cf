"""A refresh's "since the last refresh" summary in plain words (core.workspaces.refresh.RefreshResult -> lines):
what `neuralfactors refresh` prints and the dashboard's Workspaces page shows."""
from __future__ import annotations


def summary_lines(r) -> list[str]:
    """The refresh `r` (a RefreshResult) in plain words, one line each: the first says what was refreshed, the
    others (indented) the notes, today's VaR against then, yesterday's outcome, the exposure changes and the new data
    warnings."""
    out = [f"{r.workspace}: refresh {r.n} to {r.last_date} ({len(r.new_days)} new days; {r.kept} forecasts kept, "
           f"{r.made} made, {r.seconds:.1f} s)"]
    out += [f"  note: {n}" for n in r.notes]
    then = r.then
    out.append(f"  VaR 99% {r.today.var99:.2%}" + (f" (was {then.var99:.2%} at {then.date})" if then else "")
               + f", VaR 95% {r.today.var95:.2%}, volatility {r.today.vol:.2%} (one day)")
    if r.outcome is not None:
        o = r.outcome
        flag = "BREACH of the 99% VaR" if o.breach99 else "breach of the 95% VaR" if o.breach95 else "within VaR"
        out.append(f"  {o.date}: portfolio {o.ret:+.2%} against the VaR 95% / 99% published the day before "
                   f"({o.var95:.2%} / {o.var99:.2%}): {flag}")
    if r.exposure_changes:
        out.append("  largest exposure changes: " + ", ".join(f"{k} {v:+.4f}" for k, v in r.exposure_changes.items()))
    out += [f"  data warning (new): {w}" for w in r.problems]
    return out
