"""The presentation palette: the colours the report and the dashboard pages share. Risk code speaks in tone words
(core.risk.backtest.tone / rate_tone: "good", "warn", "bad"); they get their colours here."""

#: colours of a chart's series, in order (matplotlib's tab10, the same as Plotly's D3)
SERIES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: a correlation cell's hue as RGB, its opacity the correlation's size: positive red, negative blue (SERIES[3], [0])
POSITIVE, NEGATIVE = (214, 39, 40), (31, 119, 180)
#: the colour of each verdict tone ("" has none)
TONE_COLOURS = {"good": "#2ca02c", "warn": "#b8860b", "bad": "#d62728"}
