# Generates tests/data/options3_reference.json: R metafor at a NON-default level (90%) for the public functions
# whose alpha had no outside reference (issue 29, class 2, second review): fmtrials.analyse() (its main model, as
# the report computes it), leave_one_out(), cumulative(), meta_regression() and pool_many().
#
# Run from the repository root:   Rscript tests/r/options3_reference.R
# Written with R 4.2.2 and metafor 3.8-1. CI does not run this script: the JSON it writes is committed and
# tests/test_options3_reference.py compares fmtrials against it. Data: tests/data/lee2004_outcomes.csv (metadat
# dat.lee2004, 16 trials, no zero cell), one 2x2 table per study in file order (treatment = the non-placebo arm);
# the moderator "year" is the year in the study label. Conventions as tests/r/metafor_reference_2.R: escalc(add =
# 1/2, to = "only0"); REML / PM with threshold / tol 1e-12; fmtrials' "hksj" is metafor's test = "knha" and
# "hksj-adhoc" is test = "adhoc".

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "options3_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/options3_reference.R")

o <- read.csv(file.path("tests", "data", "lee2004_outcomes.csv"), stringsAsFactors = FALSE)
studies <- unique(o$study)
pl <- o[o$arm == "placebo", ]
tr <- o[o$arm != "placebo", ]
d <- data.frame(study = studies,
                events_t = tr$responders[match(studies, tr$study)], n_t = tr$n[match(studies, tr$study)],
                events_c = pl$responders[match(studies, pl$study)], n_c = pl$n[match(studies, pl$study)])
d$year <- as.numeric(sub(".* ([0-9]{4}).*", "\\1", d$study))
level <- 90
ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 1000)

fit_of <- function(measure, method, test) {
  rma(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, measure = measure, method = method,
      test = test, level = level, control = ctrl)
}
main <- list()
for (case in list(c("RR", "REML", "adhoc"), c("RR", "DL", "z"), c("OR", "PM", "knha"))) {
  fit <- fit_of(case[1], case[2], case[3])
  main[[length(main) + 1]] <- list(
    measure = case[1], method = case[2], test = c(adhoc = "hksj-adhoc", z = "z", knha = "hksj")[[case[3]]],
    call = sprintf('rma(ai, n1i, ci, n2i, measure = "%s", method = "%s", test = "%s", level = 90)', case[1], case[2],
                   case[3]),
    estimate = exp(as.numeric(fit$b)), ci_low = exp(fit$ci.lb), ci_high = exp(fit$ci.ub), p_value = fit$pval,
    tau2 = fit$tau2)
}

loo_fit <- fit_of("RR", "REML", "knha")
loo <- leave1out(loo_fit, transf = exp)
cum_fit <- fit_of("OR", "DL", "z")
cum <- cumul(cum_fit, transf = exp)
reg <- rma(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, measure = "RR", mods = ~ year,
           method = "REML", test = "knha", level = level, control = ctrl)
many <- lapply(list(A = 1:8, B = 9:16), function(rows) {
  fit <- rma.mh(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d[rows, ], measure = "RR", level = level)
  list(k = fit$k, estimate = exp(as.numeric(fit$b)), ci_low = exp(fit$ci.lb), ci_high = exp(fit$ci.ub),
       p_value = fit$pval)
})

out <- list(
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")), level = level, data = d,
  main = main,
  leave_one_out = list(call = 'leave1out(rma(measure = "RR", method = "REML", test = "knha", level = 90))',
                       estimate = loo$estimate, ci_low = loo$ci.lb, ci_high = loo$ci.ub, p_value = loo$pval,
                       tau2 = loo$tau2),
  cumulative = list(call = 'cumul(rma(measure = "OR", method = "DL", level = 90))  # data order',
                    estimate = cum$estimate, ci_low = cum$ci.lb, ci_high = cum$ci.ub, p_value = cum$pval),
  meta_regression = list(call = 'rma(measure = "RR", mods = ~ year, method = "REML", test = "knha", level = 90)',
                         estimate = as.numeric(reg$b), ci_low = reg$ci.lb, ci_high = reg$ci.ub, p_value = reg$pval,
                         tau2 = reg$tau2),
  pool_many = list(call = 'rma.mh(measure = "RR", level = 90) on rows 1-8 (A) and 9-16 (B)', groups = many)
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
