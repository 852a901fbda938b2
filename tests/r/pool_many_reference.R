# Generates tests/data/pool_many_reference.json: R metafor REML and Paule-Mandel reference values for the
# meta-analyses on which fmtrials' REML Fisher scoring did not converge before issue 27 (it cycled for 1000
# iterations and pool(method="REML") raised ConvergenceError).
#
# Run from the repository root:   Rscript tests/r/pool_many_reference.R
# Written with R 4.2.x and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor).
# CI does not run this script: the JSON it writes is committed and tests/test_meta_many.py compares against it.
#
# The five analyses (k = 10, log risk ratios) were found by drawing 10,000 synthetic binary meta-analyses with
# numpy's default_rng(seed) for seeds 1 and 2 (tests/test_meta_many.py::synthetic_counts) and keeping those where
# fmtrials 0.1.0's pool(measure="RR", method="REML") raised (2 for seed 1, 3 for seed 2). Their counts are
# written out below; escalc(measure = "RR") with its defaults (add = 1/2, to = "only0", drop00 = TRUE) gives the
# effects fmtrials uses.
#
# For each analysis: rma(method = "REML") with metafor's default control and with a tight one
# (threshold = 1e-12, maxiter = 1000, stepadj = 0.5: Fisher scoring with halved steps), recording whether it
# converged; the REML restricted log-likelihood (logLik(fit, REML = TRUE)) at the estimate; and
# rma(method = "PM", control = list(tol = 1e-12, maxiter = 1000)).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "pool_many_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/pool_many_reference.R")

cases <- list(
  seed1_4350 = list(ai = c(22, 5, 10, 1, 5, 16, 2, 6, 9, 9), n1i = c(118, 288, 221, 91, 137, 250, 34, 253, 215, 161),
                    ci = c(14, 1, 3, 3, 5, 0, 5, 1, 10, 3), n2i = c(249, 77, 153, 148, 121, 33, 127, 89, 251, 76)),
  seed1_6143 = list(ai = c(35, 11, 26, 65, 28, 33, 45, 84, 9, 7), n1i = c(195, 42, 125, 103, 131, 157, 188, 244, 40, 24),
                    ci = c(7, 8, 38, 0, 28, 9, 8, 36, 22, 4), n2i = c(57, 58, 253, 17, 239, 69, 58, 249, 144, 40)),
  seed2_5865 = list(ai = c(29, 54, 5, 28, 3, 56, 40, 48, 26, 82), n1i = c(99, 254, 25, 110, 12, 267, 190, 201, 98, 290),
                    ci = c(51, 19, 51, 64, 56, 11, 111, 38, 30, 106), n2i = c(87, 37, 96, 119, 95, 23, 209, 68, 50, 223)),
  seed2_7123 = list(ai = c(35, 7, 39, 48, 4, 4, 48, 66, 43, 20), n1i = c(196, 29, 147, 180, 22, 17, 245, 265, 220, 90),
                    ci = c(75, 29, 38, 79, 69, 55, 16, 11, 5, 22), n2i = c(262, 85, 105, 285, 225, 200, 51, 27, 21, 69)),
  seed2_8748 = list(ai = c(2, 4, 2, 1, 3, 3, 1, 0, 14, 0), n1i = c(45, 288, 92, 101, 131, 151, 107, 22, 290, 22),
                    ci = c(3, 8, 0, 4, 1, 2, 9, 4, 5, 5), n2i = c(51, 234, 52, 133, 30, 70, 205, 102, 176, 101))
)

fit_or_null <- function(yi, vi, method, control = list()) {
  r <- tryCatch(rma(yi, vi, method = method, control = control), error = function(e) e)
  if (inherits(r, "error")) return(list(converged = FALSE, error = conditionMessage(r)))
  list(converged = TRUE, tau2 = r$tau2, beta = as.numeric(r$beta), se = r$se, ci_lb = r$ci.lb, ci_ub = r$ci.ub,
       pval = r$pval, QE = r$QE, I2 = r$I2, H2 = r$H2, ll_reml = as.numeric(logLik(r, REML = TRUE)))
}

out <- list(
  generated_by = "tests/r/pool_many_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  calls = list(
    effects = "escalc(measure = 'RR', ai, n1i = n1i, ci = ci, n2i = n2i)",
    reml_default = "rma(yi, vi, method = 'REML')",
    reml_tight = "rma(yi, vi, method = 'REML', control = list(threshold = 1e-12, maxiter = 1000, stepadj = 0.5))",
    pm = "rma(yi, vi, method = 'PM', control = list(tol = 1e-12, maxiter = 1000))"
  ),
  cases = list()
)
for (nm in names(cases)) {
  x <- cases[[nm]]
  es <- escalc(measure = "RR", ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i)
  out$cases[[nm]] <- list(
    events_t = x$ai, n_t = x$n1i, events_c = x$ci, n_c = x$n2i,
    yi = as.numeric(es$yi), vi = as.numeric(es$vi),
    reml_default = fit_or_null(as.numeric(es$yi), as.numeric(es$vi), "REML"),
    reml_tight = fit_or_null(as.numeric(es$yi), as.numeric(es$vi), "REML",
                             list(threshold = 1e-12, maxiter = 1000, stepadj = 0.5)),
    pm = fit_or_null(as.numeric(es$yi), as.numeric(es$vi), "PM", list(tol = 1e-12, maxiter = 1000))
  )
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
