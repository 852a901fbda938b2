# Generates tests/data/metafor_reference.json: R metafor reference values for fmtrials.meta.
#
# Run from the repository root:   Rscript tests/r/metafor_reference.R
# Needs R with metafor (>= 3.8; data sets from metadat) and jsonlite. CI does not run this script: the JSON it
# writes is committed and the Python tests (tests/test_meta*.py) compare against it.
#
# Every case records the exact R call that produced it (evaluated from the recorded string). Iterative
# estimators are run with tight convergence controls (threshold/tol 1e-12) so that the reference is the exact
# root, not metafor's default stopping point (REML threshold 1e-5, uniroot tol ~1.2e-4).
#
# Conventions mirrored from fmtrials.pool():
#   * per-study effects: escalc(add = 1/2, to = "only0"); double-zero studies (no events, or only events, in both
#     arms) dropped for RR/OR/Peto (drop00 = TRUE) and kept for RD (drop00 = FALSE);
#   * MH and Peto: pooled from the raw counts (metafor's default add = c(1/2, 0));
#   * prediction interval: predict() (z for test = "z", t(k-1) with the Knapp-Hartung SE for test = "knha"),
#     plus the Higgins-Thompson-Spiegelhalter (2009) interval mu +/- t(k-2) sqrt(se^2 + tau2) computed by hand.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
if (requireNamespace("metadat", quietly = TRUE)) suppressPackageStartupMessages(library(metadat))

out_path <- file.path("tests", "data", "metafor_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/metafor_reference.R")

## ---------------------------------------------------------------------------------------------- data sets
ds <- list()

bcg <- dat.bcg
ds$bcg <- data.frame(study = bcg$author, year = bcg$year,
                     events_t = bcg$tpos, n_t = bcg$tpos + bcg$tneg,
                     events_c = bcg$cpos, n_c = bcg$cpos + bcg$cneg, stringsAsFactors = FALSE)

nw <- dat.nielweise2007   # zero cells, one double-zero study (Yucel 2004)
ds$nielweise2007 <- data.frame(study = paste(nw$author, nw$year), year = nw$year,
                               events_t = nw$ai, n_t = nw$n1i, events_c = nw$ci, n_c = nw$n2i,
                               stringsAsFactors = FALSE)

hn <- dat.hine1989        # six small trials
ds$hine1989 <- data.frame(study = hn$source, year = hn$study,
                          events_t = hn$ai, n_t = hn$n1i, events_c = hn$ci, n_c = hn$n2i,
                          stringsAsFactors = FALSE)

yu <- dat.yusuf1985       # table 6: three double-zero studies, one zero-cell study
yu <- yu[yu$table == "6" & !is.na(yu$ai), ]
ds$yusuf1985_t6 <- data.frame(study = paste(yu$id, yu$trial), year = seq_len(nrow(yu)),
                              events_t = yu$ai, n_t = yu$n1i, events_c = yu$ci, n_c = yu$n2i,
                              stringsAsFactors = FALSE)

# Milnacipran adverse events (safety populations), counts typed in literally from
# src/fmtrials/datasets/outcomes.csv (Mease 2009 Table 5; Arnold 2010 and Bateman 2013 via the Cochrane 2015 review
# Table 4). One row per active arm vs its own trial's placebo; Mease 2009 shares its placebo arm (47/223 for
# nausea) between the 100 mg and the 200 mg comparison.
mil_ae <- list(
  #                 Mease100      Mease200       Arnold100      Bateman100
  nausea        = c(73, 224, 47, 223,  177, 441, 47, 223,  189, 516, 106, 509,  18, 85, 6, 21),
  headache      = c(35, 224, 26, 223,   78, 441, 26, 223,   92, 516,  80, 509,  10, 85, 2, 21),
  dizziness     = c(26, 224, 15, 223,   50, 441, 15, 223,   54, 516,  26, 509,  13, 85, 1, 21),
  insomnia      = c(24, 224, 15, 223,   41, 441, 15, 223,   51, 516,  41, 509,   9, 85, 2, 21),
  hot_flush     = c(22, 224,  6, 223,   46, 441,  6, 223,   56, 516,  18, 509,   7, 85, 1, 21),
  hyperhidrosis = c(22, 224,  5, 223,   55, 441,  5, 223,   40, 516,   7, 509,   5, 85, 0, 21)
)
for (ep in names(mil_ae)) {
  m <- matrix(mil_ae[[ep]], ncol = 4, byrow = TRUE)
  ds[[paste0("milnacipran_", ep)]] <- data.frame(
    study = c("Mease2009", "Mease2009", "Arnold2010", "Bateman2013"),
    dose_mg_day = c(100, 200, 100, 100), year = c(2009, 2009, 2010, 2013),
    events_t = m[, 1], n_t = m[, 2], events_c = m[, 3], n_c = m[, 4], stringsAsFactors = FALSE)
}
# nausea with the Mease 2009 placebo arm split between its two comparisons (fmtrials.split_shared_placebo rule:
# as even as possible, the remainder to the first rows in table order): 47/223 -> 24/112 and 23/111.
ds$milnacipran_nausea_split <- ds$milnacipran_nausea
ds$milnacipran_nausea_split$events_c[1:2] <- c(24, 23)
ds$milnacipran_nausea_split$n_c[1:2] <- c(112, 111)

## ------------------------------------------------------------------------------------------------ helpers
num <- function(x) { x <- as.numeric(x); x[is.na(x)] <- NA; x }
ev <- function(call, env) eval(parse(text = call), envir = env)

cases <- list()
add_case <- function(case) cases[[length(cases) + 1L]] <<- case

escalc_call <- function(measure) {
  m <- if (measure == "PETO") "PETO" else measure
  drop <- if (measure == "RD") "FALSE" else "TRUE"
  sprintf('escalc(measure="%s", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, add=1/2, to="only0", drop00=%s)',
          m, drop)
}

fit_call <- function(measure, method, test) {
  if (method == "MH") {
    drop <- if (measure == "RD") ", drop00=FALSE" else ""
    return(sprintf('rma.mh(ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, measure="%s"%s)', measure, drop))
  }
  if (method == "Peto") return('rma.peto(ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d)')
  m <- if (method == "IV") "FE" else method
  ctrl <- switch(method, REML = ", control=list(threshold=1e-12, maxiter=1000)",
                 PM = ", control=list(tol=1e-12, maxiter=1000)", "")
  sprintf('rma.uni(yi, vi, data=es, method="%s", test="%s"%s)', m, test, ctrl)
}

one_fit <- function(dname, d, measure, method, test = "z", subset_label = NULL) {
  env <- new.env()
  env$d <- d
  ecall <- escalc_call(if (method == "Peto") "PETO" else measure)
  env$es <- ev(ecall, env)
  fcall <- fit_call(measure, method, test)
  res <- tryCatch(suppressWarnings(ev(fcall, env)), error = function(e) e)
  if (inherits(res, "error")) return(list(error = conditionMessage(res)))
  k_used <- if (method %in% c("MH", "Peto")) res$k.yi else res$k
  out <- list(
    beta = num(res$beta), se = num(res$se), statistic = num(res$zval), p_value = num(res$pval),
    ci_low = num(res$ci.lb), ci_high = num(res$ci.ub), q = num(res$QE), q_p = num(res$QEp),
    i2 = num(res$I2), h2 = num(res$H2), tau2 = num(res$tau2), k = res$k, k_yi = k_used,
    df = if (is.null(res$ddf) || is.na(res$ddf[1])) NA else num(res$ddf[1]),
    yi = num(env$es$yi), vi = num(env$es$vi), weights = num(weights(res)))
  calls <- list(escalc = ecall, fit = fcall)
  if (!(method %in% c("MH", "Peto"))) {
    pr <- predict(res)
    out$pi_low <- num(pr$pi.lb); out$pi_high <- num(pr$pi.ub)
    calls$predict <- "predict(res)"
    kk <- res$k
    if (method != "IV" && kk >= 3) {
      se_classic <- if (test == "z") res$se else {
        sqrt(1 / sum(1 / (res$vi + res$tau2)))
      }
      crit <- qt(1 - 0.05 / 2, df = kk - 2)
      out$pi_hts_low <- num(res$beta - crit * sqrt(se_classic^2 + res$tau2))
      out$pi_hts_high <- num(res$beta + crit * sqrt(se_classic^2 + res$tau2))
      calls$pi_hts <- "c(b - qt(0.975, k-2)*sqrt(se^2 + tau2), b + qt(0.975, k-2)*sqrt(se^2 + tau2)); se from the test='z' fit"
    }
    if (method != "IV" && kk >= 2) {
      ci <- tryCatch(confint(res, control = list(tol = 1e-12)), error = function(e) NULL)
      calls$confint <- "confint(res, control=list(tol=1e-12))"
      if (!is.null(ci)) {
        out$tau2_ci_low <- num(ci$random["tau^2", "ci.lb"]); out$tau2_ci_high <- num(ci$random["tau^2", "ci.ub"])
        out$i2_ci_low <- num(ci$random["I^2(%)", "ci.lb"]); out$i2_ci_high <- num(ci$random["I^2(%)", "ci.ub"])
        out$h2_ci_low <- num(ci$random["H^2", "ci.lb"]); out$h2_ci_high <- num(ci$random["H^2", "ci.ub"])
      }
    }
  }
  list(result = out, calls = calls, res = res)
}

measures <- c("RR", "OR", "RD")
methods <- c("MH", "IV", "DL", "REML", "PM")

for (dname in names(ds)) {
  d <- ds[[dname]]
  for (measure in measures) {
    for (method in c(methods, if (measure == "OR") "Peto")) {
      tests <- if (method %in% c("DL", "REML", "PM")) c("z", "knha", "adhoc") else "z"
      for (test in tests) {
        f <- one_fit(dname, d, measure, method, test)
        if (!is.null(f$error)) {
          add_case(list(id = paste(dname, measure, method, test, sep = "/"), dataset = dname, measure = measure,
                        method = method, test = test, error = f$error))
          next
        }
        add_case(list(id = paste(dname, measure, method, test, sep = "/"), dataset = dname, measure = measure,
                      method = method, test = test, call = f$calls, result = f$result))
      }
    }
  }
}

## ----------------------------------------------------- subgroups: milnacipran by dose (test for differences)
subgroup_cases <- list()
for (dname in grep("^milnacipran_", names(ds), value = TRUE)) {
  d <- ds[[dname]]
  for (measure in measures) {
    for (method in c(methods, if (measure == "OR") "Peto")) {
      for (test in if (method %in% c("DL", "REML", "PM")) c("z", "knha") else "z") {
        b <- c(); s <- c(); sz <- c(); labs <- c()
        for (g in sort(unique(d$dose_mg_day))) {
          sub <- d[d$dose_mg_day == g, ]
          f <- one_fit(dname, sub, measure, method, test)
          if (!is.null(f$error)) next
          # the test for subgroup differences uses each subgroup's conventional (z) SE, as RevMan: never the
          # Knapp-Hartung SE, which can be far smaller than the z SE for a subgroup with Q below its df
          fz <- if (test == "z") f else one_fit(dname, sub, measure, method, "z")
          b <- c(b, f$result$beta); s <- c(s, f$result$se); sz <- c(sz, fz$result$se); labs <- c(labs, g)
        }
        qb <- rma.uni(yi = b, sei = sz, method = "FE")
        subgroup_cases[[length(subgroup_cases) + 1L]] <- list(
          id = paste(dname, measure, method, test, "by_dose", sep = "/"), dataset = dname, measure = measure,
          method = method, test = test, by = "dose_mg_day",
          call = list(per_subgroup = "same calls as the unsplit case, on d[d$dose_mg_day == g, ]",
                      between = paste("rma.uni(yi = subgroup estimates, sei = the subgroups' SEs of the same",
                                      "estimator with test = \"z\", method = \"FE\")$QE")),
          result = list(groups = labs, beta = b, se = s, q_between = num(qb$QE), q_between_df = length(b) - 1,
                        q_between_p = num(qb$QEp)))
      }
    }
  }
}
# IV common effect: the subgroup Q-between equals the moderator test QM of a fixed-effects meta-regression.
env <- new.env(); env$d <- ds$milnacipran_nausea
env$es <- ev(escalc_call("RR"), env)
qm_call <- 'rma.uni(yi, vi, mods = ~ factor(dose_mg_day), data=es, method="FE")'
qm <- ev(qm_call, env)
subgroup_cases[[length(subgroup_cases) + 1L]] <- list(
  id = "milnacipran_nausea/RR/IV/z/by_dose/QM", dataset = "milnacipran_nausea", measure = "RR", method = "IV",
  test = "z", by = "dose_mg_day", call = list(escalc = escalc_call("RR"), fit = qm_call),
  result = list(q_between = num(qm$QM), q_between_df = num(qm$QMdf[1]), q_between_p = num(qm$QMp)))

## ------------------------------------------------------------- leave-one-out and cumulative (dat.bcg etc.)
sens_cases <- list()
for (dname in c("bcg", "hine1989", "milnacipran_nausea")) {
  d <- ds[[dname]]
  for (spec in list(c("RR", "REML", "z"), c("RR", "DL", "z"), c("RR", "MH", "z"), c("OR", "Peto", "z"),
                    c("RR", "DL", "knha"), c("OR", "IV", "z"))) {
    f <- one_fit(dname, d, spec[1], spec[2], spec[3])
    l1 <- leave1out(f$res)
    env <- new.env(); env$res <- f$res; env$d <- d
    ccall <- "cumul(res, order = d$year)"  # metafor 3.8: order = a variable to sort by (ties keep data order)
    cu <- ev(ccall, env)
    sens_cases[[length(sens_cases) + 1L]] <- list(
      id = paste(dname, spec[1], spec[2], spec[3], sep = "/"), dataset = dname, measure = spec[1],
      method = spec[2], test = spec[3],
      call = c(f$calls, list(leave1out = "leave1out(res)", cumul = ccall)),
      leave1out = list(estimate = num(l1$estimate), se = num(l1$se), ci_low = num(l1$ci.lb),
                       ci_high = num(l1$ci.ub), p_value = num(l1$pval), q = num(l1$Q), i2 = num(l1$I2),
                       tau2 = num(l1$tau2)),
      cumul = list(order = order(d$year, seq_along(d$year)), estimate = num(cu$estimate), se = num(cu$se),
                   ci_low = num(cu$ci.lb), ci_high = num(cu$ci.ub), p_value = num(cu$pval),
                   q = num(cu$Q), i2 = num(cu$I2), tau2 = num(cu$tau2)))
  }
}

doc <- list(
  generator = "tests/r/metafor_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = if (requireNamespace("metadat", quietly = TRUE)) as.character(packageVersion("metadat")) else NA,
  jsonlite_version = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), "%Y-%m-%d", tz = "UTC"),
  conventions = list(
    escalc = "add=1/2, to='only0'; drop00=TRUE for RR/OR/PETO, FALSE for RD",
    mh = "rma.mh defaults (pooled from raw counts); drop00=FALSE for RD so double-zero studies stay in Q",
    pi_hts = "Higgins, Thompson & Spiegelhalter (2009): b +/- qt(0.975, k-2) * sqrt(se^2 + tau2), se from the z fit",
    level = 95),
  datasets = lapply(ds, function(d) as.list(d)),
  cases = cases,
  subgroups = subgroup_cases,
  sensitivity = sens_cases)

writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "with", length(cases), "cases,", length(subgroup_cases), "subgroup cases,",
    length(sens_cases), "sensitivity cases\n")
