# Generates tests/data/mreg_scale_reference.json: R metafor reference values for meta_regression() with a
# moderator far from zero (issue 28: a year offset by 2e7 gave a wrong slope without a warning).
#
# Run from the repository root:   Rscript tests/r/mreg_scale_reference.R
# Written with R 4.2.2 and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor; data set dat.bcg from
# metadat). CI does not run this script: tests/test_meta_regression.py compares against the JSON it writes.
#
# Data: dat.bcg, log risk ratios (escalc(measure = "RR"), no zero cells). Moderator: year + shift, shift = 2e7.
# For each method (REML, DL) and test (z, knha) two references are recorded:
#   * "direct": rma(yi, vi, mods = ~ year_shifted) as R computes it: metafor 3.8-1 refuses it ("Model matrix not
#     of full rank"), recorded as "direct_error";
#   * "exact": rma(yi, vi, mods = ~ I(year - 1966)) (well conditioned) transformed to the shifted moderator by
#     the exact linear map: slope and its SE unchanged, intercept b0 - b1 * (shift + 1966) with variance
#     V00 - 2 c V01 + c^2 V11 (c = shift + 1966). The model is the same, so these are the values on the user's
#     scale whatever the conditioning; tests use "exact".
# Tight convergence controls: REML threshold 1e-12, maxiter 1000.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "mreg_scale_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/mreg_scale_reference.R")

bcg <- dat.bcg
d <- data.frame(study = bcg$author, year = bcg$year, events_t = bcg$tpos, n_t = bcg$tpos + bcg$tneg,
                events_c = bcg$cpos, n_c = bcg$cpos + bcg$cneg, stringsAsFactors = FALSE)
shift <- 2e7
d$year_shifted <- d$year + shift
es <- escalc(measure = "RR", ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d)
ctrl <- list(threshold = 1e-12, maxiter = 1000)

summ <- function(fit, b, V) {
  se <- sqrt(diag(V))
  crit <- if (fit$test == "knha") qt(0.975, fit$k - fit$p) else qnorm(0.975)
  list(estimate = unname(b), se = unname(se), ci_low = unname(b - crit * se), ci_high = unname(b + crit * se),
       tau2 = fit$tau2, qe = fit$QE, qm = fit$QM)
}

cases <- list()
for (method in c("REML", "DL")) {
  for (test in c("z", "knha")) {
    direct_call <- sprintf('rma(yi, vi, mods = ~ year_shifted, data = es, method = "%s", test = "%s", control = ctrl)',
                           method, test)
    centred_call <- sprintf('rma(yi, vi, mods = ~ I(year - 1966), data = es, method = "%s", test = "%s", control = ctrl)',
                            method, test)
    unshifted_call <- sprintf('rma(yi, vi, mods = ~ year, data = es, method = "%s", test = "%s", control = ctrl)',
                              method, test)
    direct <- tryCatch(eval(parse(text = direct_call)), error = function(e) conditionMessage(e))
    centred <- eval(parse(text = centred_call))
    unshifted <- eval(parse(text = unshifted_call))
    cst <- shift + 1966
    M <- matrix(c(1, 0, -cst, 1), 2, 2)  # (b0, b1) on the shifted scale = M %*% (b0c, b1c)
    b <- as.vector(M %*% coef(centred))
    V <- M %*% vcov(centred) %*% t(M)
    cases[[length(cases) + 1L]] <- list(
      method = method, test = test, shift = shift,
      calls = list(direct = direct_call, centred = centred_call, unshifted = unshifted_call,
                   transform = "b = (b0c - (shift + 1966) b1c, b1c); V = M Vc M'"),
      direct_error = if (is.character(direct)) direct else NULL,
      exact = summ(centred, b, V),
      unshifted = summ(unshifted, coef(unshifted), vcov(unshifted))
    )
  }
}
out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            dataset = "dat.bcg (metadat), log RR", cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
