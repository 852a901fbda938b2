# Generates the small-study and model-disagreement references of issue 22 (items 4 and 10):
#   tests/data/li2007_outcomes.csv, tests/data/lee2004_outcomes.csv  user-data fixtures (read_outcomes format)
#   tests/data/smallstudy_reference.json                             R metafor values on them
#
# Run from the repository root:   Rscript tests/r/smallstudy_reference.R
# Written with R 4.2.2, metafor 3.8-1 and metadat 1.2-0 (Debian packages r-base-core, r-cran-metafor, metadat).
# CI does not run this script: the files it writes are committed; tests/test_report_smallstudy.py reads them.
#
# Data (metadat; cite as): dat.li2007 — Li J, Zhang Q, Zhang M, Egger M (2007). Intravenous magnesium for acute
# myocardial infarction. Cochrane Database Syst Rev, CD002755 (22 trials, deaths); dat.lee2004 — Lee A, Done ML
# (2004). Stimulation of the wrist acupuncture point P6 for preventing postoperative nausea and vomiting. Cochrane
# Database Syst Rev, CD003281 (16 trials, nausea). Both are written as the CSV a user gives `fmtrials report
# --data`: one row per arm (study, arm = "placebo" or the treatment, endpoint, n, responders, direction).
#
# Conventions mirrored from fmtrials.pool(): escalc(add = 1/2, to = "only0", drop00 = TRUE); REML with
# threshold 1e-12. The report's diagnostics run on the main model (REML); metafor's trimfill refits with the z
# test, as fmtrials does. Egger "lm" = Egger et al. (1997) classical weighted regression of yi on sei (weights
# 1/vi, t on k - 2 df); Egger "rma" = metafor's default regtest(fit): the meta-regression rma(yi, vi, mods = ~
# sei) with the fit's tau² estimator and test.

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "smallstudy_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/smallstudy_reference.R")

fixtures <- list(
  li2007 = list(d = dat.li2007, endpoint = "death", arm = "magnesium", file = "li2007_outcomes.csv"),
  lee2004 = list(d = dat.lee2004, endpoint = "postop_nausea", arm = "P6 stimulation", file = "lee2004_outcomes.csv")
)
for (f in fixtures) {
  d <- f$d
  s <- paste(d$study, d$year)
  rows <- rbind(
    data.frame(study = s, arm = "placebo", endpoint = f$endpoint, n = d$n2i, responders = d$ci, direction = "harmful"),
    data.frame(study = s, arm = f$arm, endpoint = f$endpoint, n = d$n1i, responders = d$ai, direction = "harmful"))
  rows <- rows[order(match(rows$study, s)), ]
  write.csv(rows, file.path("tests", "data", f$file), row.names = FALSE, quote = FALSE)
}

num <- function(x) { x <- as.numeric(x); x[is.na(x)] <- NA; x }
ev <- function(call, env) eval(parse(text = call), envir = env)
ctrl <- ", control=list(threshold=1e-12, maxiter=1000)"
cases <- list()
for (name in names(fixtures)) {
  f <- fixtures[[name]]
  for (measure in c("OR", "RR")) {
    env <- new.env()
    env$d <- data.frame(study = paste(f$d$study, f$d$year), ai = f$d$ai, n1i = f$d$n1i, ci = f$d$ci, n2i = f$d$n2i)
    ecall <- sprintf('escalc(measure="%s", ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=d, add=1/2, to="only0", drop00=TRUE)',
                     measure)
    env$es <- ev(ecall, env)
    fcall <- sprintf('rma(yi, vi, data=es, method="REML"%s)', ctrl)
    hcall <- sprintf('rma(yi, vi, data=es, method="REML", test="adhoc"%s)', ctrl)
    mcall <- sprintf('rma.mh(measure="%s", ai=ai, n1i=n1i, ci=ci, n2i=n2i, data=d)', measure)
    env$fit <- ev(fcall, env)
    env$hksj <- ev(hcall, env)
    env$mh <- ev(mcall, env)
    eg <- ev('regtest(fit, model="lm", predictor="sei")', env)
    egr <- ev('regtest(fit)', env)
    rk <- suppressWarnings(ev('ranktest(fit)', env))
    tf <- ev(sprintf('trimfill(fit%s)', ctrl), env)
    w <- ev('weights(mh)', env)
    zero <- which(round(w, 1) == 0)      # studies whose MH weight prints as 0.0%
    loo <- lapply(unname(zero), function(i) {
      env$i <- i
      r <- ev(sub("data=d", "data=d[-i, ]", mcall, fixed = TRUE), env)
      list(study = env$d$study[i], weight = num(w[i]), estimate_without = exp(num(r$beta)))
    })
    cases[[length(cases) + 1L]] <- list(
      dataset = name, file = f$file, endpoint = f$endpoint, measure = measure, k = env$fit$k,
      calls = list(escalc = ecall, fit = fcall, hksj = hcall, mh = mcall,
                   egger = 'regtest(fit, model="lm", predictor="sei")', egger_rma = 'regtest(fit)',
                   begg = 'ranktest(fit)', trimfill = sprintf('trimfill(fit%s)', ctrl), weights = 'weights(mh)'),
      reml = list(estimate = exp(num(env$fit$beta)), ci_low = exp(num(env$fit$ci.lb)), ci_high = exp(num(env$fit$ci.ub)),
                  tau2 = num(env$fit$tau2)),
      hksj = list(estimate = exp(num(env$hksj$beta)), ci_low = exp(num(env$hksj$ci.lb)),
                  ci_high = exp(num(env$hksj$ci.ub))),
      mh = list(estimate = exp(num(env$mh$beta)), ci_low = exp(num(env$mh$ci.lb)), ci_high = exp(num(env$mh$ci.ub)),
                weights = num(w), zero_weight = loo),
      egger = list(statistic = num(eg$zval), df = num(eg$ddf), p_value = num(eg$pval)),
      egger_rma = list(statistic = num(egr$zval), p_value = num(egr$pval)),
      begg = list(statistic = num(rk$tau), p_value = num(rk$pval)),
      trimfill = list(k0 = tf$k0, side = tf$side, estimate = exp(num(tf$beta)), ci_low = exp(num(tf$ci.lb)),
                      ci_high = exp(num(tf$ci.ub)), p_value = num(tf$pval), tau2 = num(tf$tau2),
                      filled_yi = num(tf$yi[tf$fill]), filled_vi = num(tf$vi[tf$fill]))
    )
  }
}
out <- list(
  generated_by = "tests/r/smallstudy_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), out_path)
cat("wrote", out_path, "with", length(cases), "cases\n")
