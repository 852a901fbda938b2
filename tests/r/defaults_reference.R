# Generates tests/data/defaults_reference.json: the metafor calls quoted in README.md, section "Differences from
# metafor's defaults" (issue 22 item 11), evaluated exactly as printed there, with their results.
#
# Run from the repository root:   Rscript tests/r/defaults_reference.R
# Written with R 4.2.2 and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor; data sets from metadat).
# CI does not run this script: tests/test_readme_defaults.py checks that every call below is printed verbatim in
# the README and that fmtrials gives the recorded numbers.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "defaults_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/defaults_reference.R")

# the README's set-up lines, evaluated in order (d: the counts in fmtrials' column names)
setup <- c(
  'd <- with(dat.lee2004, data.frame(events_t=ai, n_t=n1i, events_c=ci, n_c=n2i))',
  'es <- escalc(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, drop00=TRUE)',
  'res <- rma(yi, vi, data=es, method="REML", control=list(threshold=1e-12, maxiter=1000))'
)
env <- new.env()
for (s in setup) eval(parse(text = s), envir = env)

# each difference: the fmtrials call (Python) and the metafor expression that reproduces its number(s)
cases <- list(
  list(id = "pi_hts", fmtrials = 'pool(t, method="REML").prediction  (pi_low, pi_high, ratio scale)',
       call = 'exp(res$b[1] + c(-1, 1) * qt(0.975, res$k - 2) * sqrt(res$se^2 + res$tau2))'),
  list(id = "pi_metafor", fmtrials = 'pool(t, method="REML", pi_method="metafor").prediction',
       call = 'with(predict(res, transf=exp), c(pi.lb, pi.ub))'),
  list(id = "egger_lm", fmtrials = 'small_study_test(t, method="egger")  (statistic, p_value)',
       call = 'unlist(regtest(res, model="lm")[c("zval", "pval")])'),
  list(id = "egger_rma", fmtrials = 'small_study_test(t, method="egger_rma")',
       call = 'unlist(regtest(res)[c("zval", "pval")])'),
  list(id = "reml_tol", fmtrials = 'pool(t, method="REML").heterogeneity.tau2  (tol=1e-12, maxiter=1000)',
       call = 'rma(yi, vi, data=es, method="REML", control=list(threshold=1e-12, maxiter=1000))$tau2'),
  list(id = "reml_default_tol", fmtrials = 'metafor default threshold=1e-5, maxiter=100 (differs in the 6th digit)',
       call = 'rma(yi, vi, data=es, method="REML")$tau2'),
  list(id = "pm_tol", fmtrials = 'pool(t, method="PM").heterogeneity.tau2',
       call = 'rma(yi, vi, data=es, method="PM", control=list(tol=1e-12, maxiter=1000))$tau2'),
  list(id = "qprofile", fmtrials = 'pool(t, method="REML").heterogeneity  (tau2_ci_low, tau2_ci_high)',
       call = 'confint(res, control=list(tol=1e-12))$random[1, 2:3]'),
  list(id = "mh_dl", fmtrials = 'pool(t, method="MH-DL")  (estimate, ci_low, ci_high, tau2)',
       call = paste0('with(list(mh=rma.mh(measure="RR", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d), w=1/es$vi), ',
                     '{tau2 <- max(0, (mh$QE - (mh$k.yi - 1)) / (sum(w) - sum(w^2)/sum(w))); ',
                     'r <- rma(yi, vi, data=es, tau2=tau2); c(exp(c(r$b[1], r$ci.lb, r$ci.ub)), tau2)})')),
  list(id = "dl", fmtrials = 'pool(t, method="DL")  (estimate, ci_low, ci_high, tau2)',
       call = 'with(rma(yi, vi, data=es, method="DL"), c(exp(c(b[1], ci.lb, ci.ub)), tau2))')
)
for (i in seq_along(cases)) {
  val <- eval(parse(text = cases[[i]]$call), envir = env)
  cases[[i]]$value <- unname(as.numeric(val))
}
out <- list(
  generated_by = "tests/r/defaults_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  data = "dat.lee2004 (metadat): 16 trials, nausea with P6 stimulation vs sham",
  setup = setup,
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
