# Generates tests/data/options2_reference.json: R metafor at a NON-default level (90%) for the 5-study table of
# tests/test_options_cells.py, every pooling method and test (issue 29, class 2: options reach the computation).
#
# Run from the repository root:   Rscript tests/r/options2_reference.R
# Written with R 4.2.2 and metafor 3.8-1. CI does not run this script: the JSON it writes is committed and
# tests/test_options_cells.py compares both fmtrials.pool(alpha=0.10) and the test's own arithmetic
# (tests/_oracle.py) against it. Conventions as tests/r/metafor_reference_2.R: escalc(add = 1/2, to = "only0");
# REML / PM with threshold / tol 1e-12; fmtrials' "hksj" is metafor's test = "knha". The HKSJ ad hoc variant and
# the t(k - 2) prediction interval are not metafor calls; the test checks them with its own arithmetic only.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "options2_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/options2_reference.R")

d <- data.frame(study = c("A", "B", "C", "D", "E"), events_t = c(30, 12, 45, 8, 20), n_t = c(100, 60, 150, 40, 90),
                events_c = c(18, 10, 30, 3, 21), n_c = c(100, 58, 148, 41, 88))
level <- 90
cases <- list()
for (measure in c("RR", "OR", "RD")) {
  mh_call <- sprintf('rma.mh(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, measure = "%s", level = %d)',
                     measure, level)
  fit <- eval(parse(text = mh_call))
  cases[[length(cases) + 1]] <- list(measure = measure, method = "MH", test = "z", call = mh_call,
    estimate = as.numeric(fit$b), ci_low = fit$ci.lb, ci_high = fit$ci.ub, p_value = fit$pval, q = fit$QE,
    tau2 = 0, se = fit$se)
  for (method in c("FE", "DL", "REML", "PM")) {
    for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      ctrl <- if (method == "REML") "list(threshold = 1e-12, maxiter = 1000)" else
        if (method == "PM") "list(tol = 1e-12, maxiter = 1000)" else "list()"
      call <- sprintf(paste0('rma(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, measure = "%s", ',
                             'method = "%s", test = "%s", level = %d, control = %s)'), measure, method, test, level, ctrl)
      fit <- eval(parse(text = call))
      classic <- eval(parse(text = sub(sprintf('test = "%s"', test), 'test = "z"', call)))
      cases[[length(cases) + 1]] <- list(measure = measure, method = if (method == "FE") "IV" else method,
        test = if (test == "knha") "hksj" else "z", call = call, estimate = as.numeric(fit$b), ci_low = fit$ci.lb,
        ci_high = fit$ci.ub, p_value = fit$pval, q = fit$QE, tau2 = fit$tau2, se = classic$se)
    }
  }
}
out <- list(r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
            level = level, data = d, cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "with", length(cases), "cases\n")
