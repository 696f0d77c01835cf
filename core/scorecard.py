"""The evaluation metrics by name: their order in every table, readable labels and direction
(spec: evaluation.md). A new risk metric is computed in core.evaluation.tables and named here
(this module sits below core.store, which orders the shipped metrics by METRICS, so it is not in core.evaluation)."""

METRICS = ["nll_joint", "nll_ind", "cov_mse", "box_m", "calib_uni", "calib_port", "var95_rate", "var99_rate",
           "kupiec_p95", "kupiec_p99", "christoffersen_p99", "sharpe_mv_lo", "sharpe_mv_ls", "sharpe_mv_lo_l1",
           "sharpe_mv_ls_l1", "r2_total", "r2_pred"]
#: metrics that need a joint distribution across stocks
JOINT_ONLY = ["nll_joint", "cov_mse", "box_m", "calib_port", "var95_rate", "var99_rate", "kupiec_p95", "kupiec_p99",
              "christoffersen_p99", "sharpe_mv_lo", "sharpe_mv_ls", "sharpe_mv_lo_l1", "sharpe_mv_ls_l1"]
#: the joint-only metrics a univariate model still gets, from the portfolio GARCH (core.forecast.portfolio_garch)
PORTFOLIO_GARCH_METRICS = ["calib_port", "var95_rate", "var99_rate", "kupiec_p95", "kupiec_p99",
                           "christoffersen_p99"]
LABELS = {
    "nll_joint": "NLL joint", "nll_ind": "NLL per stock", "cov_mse": "covariance MSE", "box_m": "Box's M",
    "calib_uni": "calibration (stocks)", "calib_port": "calibration (portfolio)",
    "var95_rate": "95% VaR breach rate", "var99_rate": "99% VaR breach rate", "kupiec_p95": "Kupiec p (95%)",
    "kupiec_p99": "Kupiec p (99%)", "christoffersen_p99": "Christoffersen p (99%)",
    "sharpe_mv_lo": "Sharpe MV long-only", "sharpe_mv_ls": "Sharpe MV long-short",
    "sharpe_mv_lo_l1": "Sharpe MV long-only, L1", "sharpe_mv_ls_l1": "Sharpe MV long-short, L1",
    "r2_total": "R2 total", "r2_pred": "R2 predictive",
}
HIGHER_IS_BETTER = {"sharpe_mv_lo", "sharpe_mv_ls", "sharpe_mv_lo_l1", "sharpe_mv_ls_l1", "r2_total", "r2_pred"}

#: Gopal (2024), S&P 500, test 2019-2023 (spec/neuralfactors.md section 9), for the Model comparison page
PAPER_TABLE = [
    {"model": "NF-Attn, all features", "NLL ind": 1.029, "NLL joint": 0.556, "cov MSE": 0.282, "Box's M": 2.226,
     "calib Uni": 0.042, "calib Port": 0.074},
    {"model": "NF-LSTM, all features", "NLL ind": 1.041, "NLL joint": 0.581, "cov MSE": 0.369, "Box's M": 2.37,
     "calib Uni": 0.048, "calib Port": 0.063},
    {"model": "BDG with same features", "NLL ind": 1.013, "NLL joint": 0.620, "cov MSE": 0.332, "Box's M": 2.720,
     "calib Uni": 0.086, "calib Port": 0.107},
    {"model": "NF-Attn, returns + indices", "NLL ind": 1.044, "NLL joint": 0.602, "cov MSE": 0.246,
     "Box's M": 2.383, "calib Uni": 0.075, "calib Port": 0.133},
    {"model": "PPCA (12 factors)", "NLL ind": 1.326, "NLL joint": 0.664, "cov MSE": 0.881, "Box's M": 3.476,
     "calib Uni": 0.741, "calib Port": 0.433},
    {"model": "GARCH skew-t", "NLL ind": 1.053, "NLL joint": None, "cov MSE": None, "Box's M": None,
     "calib Uni": 0.049, "calib Port": 0.005},
]
