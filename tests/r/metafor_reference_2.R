# Generates tests/data/metafor_reference_2.json: R metafor reference values for fmtrials' meta-regression,
# small-study tests, trim-and-fill, influence diagnostics and Baujat points (issue 14).
#
# Run from the repository root:   Rscript tests/r/metafor_reference_2.R
# Written with R 4.2.2 and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor; data sets from metadat).
# CI does not run this script: the JSON it writes is committed and tests/test_meta_regression.py,
# tests/test_meta_smallstudy.py and tests/test_meta_influence.py compare against it.
#
# Every case records the exact R calls (evaluated from the recorded strings). Iterative estimators use tight
# convergence controls (REML threshold 1e-12, PM tol 1e-12). Conventions mirrored from fmtrials.pool():
# escalc(add = 1/2, to = "only0"), double-zero studies dropped for RR/OR (drop00 = TRUE), kept for RD.
# Peters and Harbord are not metafor functions: they are computed here with lm() from the published formulas
# (Peters et al. 2006 JAMA 295:676-680; Harbord, Egger & Sterne 2006 Stat Med 25:3443-3457).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "metafor_reference_2.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/metafor_reference_2.R")

## ---------------------------------------------------------------------------------------------- data sets
ds <- list()
bcg <- dat.bcg
ds$bcg <- data.frame(study = bcg$author, year = bcg$year, ablat = bcg$ablat, alloc = bcg$alloc,
                     events_t = bcg$tpos, n_t = bcg$tpos + bcg$tneg,
                     events_c = bcg$cpos, n_c = bcg$cpos + bcg$cneg, stringsAsFactors = FALSE)
eg <- dat.egger2001                     # magnesium trials (Egger 2001): zero cells, k = 16
ds$egger2001 <- data.frame(study = eg$study, year = eg$year, events_t = eg$ai, n_t = eg$n1i,
                           events_c = eg$ci, n_c = eg$n2i, stringsAsFactors = FALSE)
nw <- dat.nielweise2007                 # zero cells, one double-zero study
ds$nielweise2007 <- data.frame(study = paste(nw$author, nw$year), year = nw$year,
                               events_t = nw$ai, n_t = nw$n1i, events_c = nw$ci, n_c = nw$n2i,
                               stringsAsFactors = FALSE)
hn <- dat.hine1989
ds$hine1989_k3 <- data.frame(study = hn$source[1:3], year = hn$study[1:3], events_t = hn$ai[1:3],
                             n_t = hn$n1i[1:3], events_c = hn$ci[1:3], n_c = hn$n2i[1:3], stringsAsFactors = FALSE)
# milnacipran nausea (safety populations; src/fmtrials/datasets/outcomes.csv), one row per active arm
ds$milnacipran_nausea <- data.frame(
  study = c("Mease2009", "Mease2009", "Arnold2010", "Bateman2013"), dose_mg_day = c(100, 200, 100, 100),
  year = c(2009, 2009, 2010, 2013), events_t = c(73, 177, 189, 18), n_t = c(224, 441, 516, 85),
  events_c = c(47, 47, 106, 6), n_c = c(223, 223, 509, 21), stringsAsFactors = FALSE)

## ------------------------------------------------------------------------------------------------ helpers
num <- function(x) { x <- as.numeric(x); x[is.na(x)] <- NA; x }
ev <- function(call, env) eval(parse(text = call), envir = env)
cases <- list()
add <- function(case) cases[[length(cases) + 1L]] <<- case
escalc_call <- function(measure) {
  sprintf('escalc(measure="%s", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, add=1/2, to="only0", drop00=%s)',
          measure, if (measure == "RD") "FALSE" else "TRUE")
}
ctrl <- function(method) switch(method, REML = ", control=list(threshold=1e-12, maxiter=1000)",
                                PM = ", control=list(tol=1e-12, maxiter=1000)", "")
py_method <- function(m) if (m == "FE") "IV" else m
env_for <- function(dname, measure) {
  env <- new.env(); env$d <- ds[[dname]]; ecall <- escalc_call(measure); env$es <- ev(ecall, env)
  env$es <- env$es[!is.na(env$es$yi), ]
  list(env = env, ecall = ecall)
}

## ------------------------------------------------------------------------------------- meta-regression
mreg <- function(dname, measure, mods, method, test, pymods) {
  e <- env_for(dname, measure)
  call <- sprintf('rma(yi, vi, mods=%s, data=es, method="%s", test="%s"%s)', mods, method, test, ctrl(method))
  r <- ev(call, e$env)
  add(list(kind = "meta_regression", dataset = dname, measure = measure, method = py_method(method), test = test,
           moderators = pymods, calls = list(escalc = e$ecall, fit = call),
           terms = rownames(r$beta), estimate = num(r$beta), se = num(r$se), statistic = num(r$zval),
           p_value = num(r$pval), ci_low = num(r$ci.lb), ci_high = num(r$ci.ub), qm = num(r$QM),
           qm_p = num(r$QMp), qm_df = num(r$QMdf[!is.na(r$QMdf)]), qe = num(r$QE), qe_p = num(r$QEp),
           tau2 = num(r$tau2), i2 = num(r$I2), r2 = if (is.null(r$R2)) NA else num(r$R2), k = r$k))
}
for (m in c("REML", "DL", "PM", "FE")) for (t in c("z", "knha")) mreg("bcg", "RR", "~ ablat", m, t, list("ablat"))
for (t in c("z", "knha")) mreg("bcg", "OR", "~ factor(alloc) + year", "REML", t, list("alloc", "year"))
for (m in c("REML", "DL", "FE")) mreg("milnacipran_nausea", "RR", "~ dose_mg_day", m, "z", list("dose_mg_day"))
mreg("milnacipran_nausea", "RR", "~ dose_mg_day", "REML", "knha", list("dose_mg_day"))
mreg("nielweise2007", "OR", "~ year", "REML", "z", list("year"))
mreg("nielweise2007", "RD", "~ year", "DL", "z", list("year"))
mreg("hine1989_k3", "RR", "~ year", "DL", "z", list("year"))

## ------------------------------------------------------------------------------------ small-study tests
sst <- function(dname, measure, method, tau2_method = "REML", test = "z") {
  e <- env_for(dname, measure)
  env <- e$env
  if (method %in% c("egger", "egger_rma")) {
    fcall <- sprintf('rma(yi, vi, data=es, method="%s", test="%s"%s)', tau2_method, test, ctrl(tau2_method))
    env$fit <- ev(fcall, env)
    rcall <- if (method == "egger") 'regtest(fit, model="lm", predictor="sei")' else 'regtest(fit)'
    r <- ev(rcall, env)
    stat <- num(r$zval); p <- num(r$pval); df <- if (is.null(r$ddf) || is.na(r$ddf[1])) NA else num(r$ddf)
    calls <- list(escalc = e$ecall, fit = fcall, test = rcall)
  } else if (method == "begg") {
    fcall <- 'rma(yi, vi, data=es, method="FE")'
    env$fit <- ev(fcall, env)
    rcall <- 'ranktest(fit)'
    r <- suppressWarnings(ev(rcall, env))
    stat <- num(r$tau); p <- num(r$pval); df <- NA
    calls <- list(escalc = e$ecall, fit = fcall, test = rcall)
  } else if (method == "peters") {
    rcall <- paste('lm(yi ~ I(1/(n_t + n_c)), weights = (events_t + events_c) * (n_t + n_c - events_t - events_c)',
                   '/ (n_t + n_c), data = es)')
    co <- coef(summary(ev(rcall, env)))
    stat <- num(co[2, 3]); p <- num(co[2, 4]); df <- nrow(env$es) - 2
    calls <- list(escalc = e$ecall, test = rcall)
  } else {  # harbord: efficient score and its hypergeometric variance, all studies with V > 0
    rcall <- paste('with(transform(d, N = as.numeric(n_t + n_c), M = as.numeric(events_t + events_c)), {',
                   'Z <- events_t - n_t * M / N; V <- as.numeric(n_t) * n_c * M * (N - M) / (N^2 * (N - 1));',
                   'ok <- V > 0; lm(I(Z[ok] / sqrt(V[ok])) ~ sqrt(V[ok])) })')
    co <- coef(summary(ev(rcall, env)))
    stat <- num(co[1, 3]); p <- num(co[1, 4]); df <- ev(rcall, env)$df.residual
    calls <- list(test = rcall)
  }
  add(list(kind = "small_study", dataset = dname, measure = measure, method = method, tau2_method = py_method(tau2_method),
           test = test, calls = calls, statistic = stat, p_value = p, df = df))
}
for (dn in c("bcg", "egger2001", "nielweise2007", "milnacipran_nausea")) {
  for (me in c("RR", "OR")) {
    sst(dn, me, "egger"); sst(dn, me, "egger_rma"); sst(dn, me, "begg")
  }
  sst(dn, "OR", "egger_rma", "DL", "knha"); sst(dn, "OR", "peters"); sst(dn, "OR", "harbord")
}
sst("hine1989_k3", "RR", "egger"); sst("hine1989_k3", "RR", "begg")

## ------------------------------------------------------------------------------------------ trim-and-fill
tf <- function(dname, measure, method, estimator, side = NULL) {
  e <- env_for(dname, measure)
  fcall <- sprintf('rma(yi, vi, data=es, method="%s"%s)', method, ctrl(method))
  e$env$fit <- ev(fcall, e$env)
  tcall <- sprintf('trimfill(fit, estimator="%s"%s%s)', estimator,
                   if (is.null(side)) "" else sprintf(', side="%s"', side), ctrl(method))
  r <- ev(tcall, e$env)
  add(list(kind = "trimfill", dataset = dname, measure = measure, method = py_method(method), estimator = estimator,
           side_given = if (is.null(side)) NA else side, calls = list(escalc = e$ecall, fit = fcall, trimfill = tcall),
           k0 = r$k0, se_k0 = num(r$se.k0), side = r$side, beta = num(r$beta), se = num(r$se),
           ci_low = num(r$ci.lb), ci_high = num(r$ci.ub), p_value = num(r$pval), tau2 = num(r$tau2),
           yi = num(r$yi), vi = num(r$vi), fill = as.logical(r$fill)))
}
for (m in c("FE", "DL", "REML")) for (est in c("L0", "R0")) { tf("bcg", "RR", m, est); tf("egger2001", "OR", m, est) }
tf("egger2001", "OR", "DL", "L0", "right")
tf("nielweise2007", "OR", "REML", "L0")
tf("milnacipran_nausea", "RR", "DL", "L0")
tf("hine1989_k3", "RR", "FE", "L0")

## -------------------------------------------------------------------------------------------- influence
inf <- function(dname, measure, method, test = "z") {
  e <- env_for(dname, measure)
  fcall <- sprintf('rma(yi, vi, data=es, method="%s", test="%s"%s)', method, test, ctrl(method))
  e$env$fit <- ev(fcall, e$env)
  r <- ev('influence(fit)', e$env)
  b <- ev('baujat(fit)', e$env)
  add(list(kind = "influence", dataset = dname, measure = measure, method = py_method(method), test = test,
           calls = list(escalc = e$ecall, fit = fcall, influence = "influence(fit)", baujat = "baujat(fit)"),
           rstudent = num(r$inf$rstudent), dffits = num(r$inf$dffits), cook_d = num(r$inf$cook.d),
           cov_r = num(r$inf$cov.r), tau2_del = num(r$inf$tau2.del), qe_del = num(r$inf$QE.del),
           hat = num(r$inf$hat), weight = num(r$inf$weight), dfbetas = num(r$dfbs$intrcpt),
           influential = as.logical(r$is.infl), baujat_x = num(b$x), baujat_y = num(b$y)))
}
pdf(NULL)
for (m in c("REML", "DL", "FE", "PM")) inf("bcg", "RR", m)
inf("bcg", "RR", "REML", "knha"); inf("bcg", "RR", "DL", "knha")
inf("nielweise2007", "OR", "REML"); inf("egger2001", "OR", "DL")
inf("milnacipran_nausea", "RR", "DL"); inf("hine1989_k3", "RR", "FE")
# Baujat points of a Mantel-Haenszel fit (rma.mh deletions)
e <- env_for("milnacipran_nausea", "RR")
mcall <- 'rma.mh(ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, measure="RR")'
e$env$fit <- ev(mcall, e$env)
b <- ev('baujat(fit)', e$env)
add(list(kind = "baujat_mh", dataset = "milnacipran_nausea", measure = "RR", method = "MH",
         calls = list(fit = mcall, baujat = "baujat(fit)"), baujat_x = num(b$x), baujat_y = num(b$y)))
invisible(dev.off())

out <- list(generated_by = "tests/r/metafor_reference_2.R", r_version = R.version.string,
            metafor_version = as.character(packageVersion("metafor")),
            jsonlite_version = as.character(packageVersion("jsonlite")),
            datasets = ds, cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE), out_path)
cat("wrote", length(cases), "cases to", out_path, "\n")
