# Generates tests/data/continuous_reference.json: R metafor reference values for fmtrials' continuous
# outcomes (issue 25): escalc MD / SMD / ROM and rma (FE, DL, REML, PM; z and knha), predict, leave1out,
# influence, meta-regression and Egger's regression test.
#
# Run from the repository root:   Rscript tests/r/continuous_reference.R
# Written with R 4.2.2 and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor; data sets from metadat).
# CI does not run this script: the JSON it writes is committed and tests/test_continuous.py compares against it.
#
# Conventions: escalc's defaults (SMD: Hedges' g with the exact gamma-function correction, vtype = "LS");
# iterative estimators use tight convergence controls (REML threshold 1e-12, PM tol 1e-12).
# fmtrials names: mean_t = m1i, sd_t = sd1i, n_t = n1i (group 1 = treatment), mean_c = m2i, sd_c = sd2i, n_c = n2i.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "continuous_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/continuous_reference.R")

to_cols <- function(d, study) data.frame(study = study, mean_t = d$m1i, sd_t = d$sd1i, n_t = d$n1i,
                                         mean_c = d$m2i, sd_c = d$sd2i, n_c = d$n2i, stringsAsFactors = FALSE)
ds <- list()
nm <- dat.normand1999
ds$normand1999 <- to_cols(nm, nm$source)
cu <- dat.curtis1998
ds$curtis1998 <- cbind(to_cols(cu, paste0("id", cu$id)), time = cu$time, fungrp = as.character(cu$fungrp))
gb <- dat.gibson2002[!is.na(dat.gibson2002$m1i), ]
ds$gibson2002 <- to_cols(gb, paste(gb$author, gb$year))

ev <- function(call, env) eval(parse(text = call), envir = env)
num <- function(x) as.numeric(x)
ctrl <- function(method) switch(method, REML = ", control=list(threshold=1e-12, maxiter=1000)",
                                PM = ", control=list(tol=1e-12, maxiter=1000, tau2.max=1e6)", "")
py_method <- function(m) if (m == "FE") "IV" else m
measures <- list(normand1999 = c("MD", "SMD", "ROM"), curtis1998 = c("MD", "SMD", "ROM"),
                 gibson2002 = c("MD", "SMD"))

escalc_cases <- list(); pool_cases <- list(); loo_cases <- list(); inf_cases <- list()
for (dn in names(measures)) for (ms in measures[[dn]]) {
  env <- new.env(); env$d <- ds[[dn]]
  ecall <- sprintf('escalc(measure="%s", m1i=mean_t, sd1i=sd_t, n1i=n_t, m2i=mean_c, sd2i=sd_c, n2i=n_c, data=d)', ms)
  env$es <- ev(ecall, env)
  escalc_cases[[length(escalc_cases) + 1]] <- list(data = dn, measure = ms, call = ecall,
                                                   yi = num(env$es$yi), vi = num(env$es$vi))
  for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
    call <- sprintf('rma(yi, vi, data=es, method="%s", test="%s"%s)', method, test, ctrl(method))
    fit <- ev(call, env)
    pr <- predict(fit)
    pool_cases[[length(pool_cases) + 1]] <- list(
      data = dn, measure = ms, method = py_method(method), test = if (test == "knha") "hksj" else "z",
      call = call, beta = num(fit$beta), se = num(fit$se), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub),
      zval = num(fit$zval), pval = num(fit$pval), tau2 = num(fit$tau2), QE = num(fit$QE), QEp = num(fit$QEp),
      I2 = num(fit$I2), H2 = num(fit$H2), k = fit$k,
      pi_lb = if (method == "FE") NA else num(pr$pi.lb), pi_ub = if (method == "FE") NA else num(pr$pi.ub))
  }
}
# leave-one-out and influence: normand1999 (k = 9) and gibson2002, DL and REML, z and knha
for (dn in c("normand1999", "gibson2002")) for (ms in c("MD", "SMD")) for (method in c("DL", "REML")) for (test in c("z", "knha")) {
  env <- new.env(); env$d <- ds[[dn]]
  env$es <- ev(sprintf('escalc(measure="%s", m1i=mean_t, sd1i=sd_t, n1i=n_t, m2i=mean_c, sd2i=sd_c, n2i=n_c, data=d)', ms), env)
  call <- sprintf('rma(yi, vi, data=es, method="%s", test="%s"%s)', method, test, ctrl(method))
  fit <- ev(call, env)
  l1 <- leave1out(fit)
  loo_cases[[length(loo_cases) + 1]] <- list(data = dn, measure = ms, method = method,
    test = if (test == "knha") "hksj" else "z", call = paste0("leave1out(", call, ")"),
    estimate = num(l1$estimate), se = num(l1$se), ci_lb = num(l1$ci.lb), ci_ub = num(l1$ci.ub),
    Q = num(l1$Q), tau2 = num(l1$tau2), I2 = num(l1$I2))
  if (test == "z") {
    inf <- influence(fit)
    inf_cases[[length(inf_cases) + 1]] <- list(data = dn, measure = ms, method = method, test = "z",
      call = paste0("influence(", call, ")"), rstudent = num(inf$inf$rstudent), dffits = num(inf$inf$dffits),
      cook_d = num(inf$inf$cook.d), cov_r = num(inf$inf$cov.r), tau2_del = num(inf$inf$tau2.del),
      hat = num(inf$inf$hat), dfbetas = num(inf$dfbs$intrcpt))
  }
}
# meta-regression and Egger's test: curtis1998 ROM (k = 102)
env <- new.env(); env$d <- ds$curtis1998
env$es <- ev('escalc(measure="ROM", m1i=mean_t, sd1i=sd_t, n1i=n_t, m2i=mean_c, sd2i=sd_c, n2i=n_c, data=d)', env)
mreg_cases <- list()
for (method in c("REML", "DL")) {
  call <- sprintf('rma(yi, vi, mods = ~ time + fungrp, data=es, method="%s"%s)', method, ctrl(method))
  fit <- ev(call, env)
  mreg_cases[[length(mreg_cases) + 1]] <- list(data = "curtis1998", measure = "ROM", method = method,
    moderators = c("time", "fungrp"), call = call, terms = rownames(fit$beta), beta = num(fit$beta),
    se = num(fit$se), tau2 = num(fit$tau2), QM = num(fit$QM), QE = num(fit$QE))
}
eg_call <- 'regtest(rma(yi, vi, data=es, method="FE"), model="lm", predictor="sei")'
eg <- ev(eg_call, env)
egger <- list(data = "curtis1998", measure = "ROM", call = eg_call, zval = num(eg$zval), pval = num(eg$pval),
              dfs = num(eg$dfs))

out <- list(
  generated_by = "tests/r/continuous_reference.R",
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
  data = ds, escalc = escalc_cases, pool = pool_cases, leave1out = loo_cases, influence = inf_cases,
  meta_regression = mreg_cases, egger = egger)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
