# Generates tests/data/options_reference.json: R reference values AWAY FROM THE DEFAULTS (alpha 0.10 and 0.01,
# zero-cell correction 0.25, every interval choice R can check) and for the report's own pooled numbers.
#
# Run from the repository root:   Rscript tests/r/options_reference.R
# Needs R (stats) with metafor (>= 3.8) and jsonlite. CI does not run this script: the JSON it writes is committed
# and tests/test_options_reference.py and tests/test_report_metafor.py compare against it.
#
# Every case records the exact R call (or the R arithmetic) that produced it. Sources, in order of preference:
#   * R stats: prop.test (Wilson, Wald, Wald with continuity correction, Pearson chi-square), chisq.test,
#     binom.test (Clopper-Pearson), fisher.test (p-value), qbeta (Jeffreys: Beta(x+1/2, n-x+1/2) quantiles),
#     p.adjust (Holm, Hochberg);
#   * metafor: escalc(add=cc, to="only0"), rma.uni/rma.mh/rma.peto(level=...), predict(level=...),
#     confint(level=...), leave1out();
#   * brute force in R where no CRAN package is installed (score intervals): the restricted MLE of the
#     nuisance proportion by optimize() on the binomial log-likelihood (no closed form), the limit by uniroot()
#     with tol 1e-12; the conditional exact odds-ratio interval by uniroot() on the noncentral hypergeometric
#     tails written out with dhyper-style choose() sums. None of this shares code or formulas with fmtrials'
#     closed-form cubic / bisection implementation.
# Not covered here: the Chan-Zhang exact risk-difference interval (too slow to brute-force in R; the published
# Fagerland et al. value is in intervals_reference.json).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "options_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/options_reference.R")

num <- function(x) { x <- as.numeric(x); x[is.na(x)] <- NA; x }
cases <- list()
add <- function(id, fun, args, kwargs, expected, call) {
  cases[[length(cases) + 1L]] <<- list(id = id, `function` = fun, args = args, kwargs = kwargs,
                                       expected = lapply(expected, num), call = call)
}

tables <- list(c(7, 34, 1, 34), c(56, 70, 48, 80), c(0, 20, 3, 25), c(103, 516, 56, 509), c(18, 85, 6, 21))
alphas <- c(0.10, 0.01)
tid <- function(t) paste(t, collapse = ",")

## ------------------------------------------------------------------------------------------ one arm
for (a in alphas) for (xn in list(c(0, 20), c(3, 25), c(81, 263), c(34, 34))) {
  x <- xn[1]; n <- xn[2]; lev <- 1 - a
  w <- prop.test(x, n, correct = FALSE, conf.level = lev)$conf.int
  add(sprintf("wilson/%g/%s", a, tid(xn)), "proportion_ci", list(x, n), list(ci = "wilson", alpha = a),
      list(ci_low = w[1], ci_high = w[2]), sprintf("prop.test(%g, %g, correct=FALSE, conf.level=%g)$conf.int", x, n, lev))
  cp <- binom.test(x, n, conf.level = lev)$conf.int
  add(sprintf("clopper_pearson/%g/%s", a, tid(xn)), "proportion_ci", list(x, n), list(ci = "clopper_pearson", alpha = a),
      list(ci_low = cp[1], ci_high = cp[2]), sprintf("binom.test(%g, %g, conf.level=%g)$conf.int", x, n, lev))
  jl <- if (x == 0) 0 else qbeta(a / 2, x + 0.5, n - x + 0.5)
  jh <- if (x == n) 1 else qbeta(1 - a / 2, x + 0.5, n - x + 0.5)
  add(sprintf("jeffreys/%g/%s", a, tid(xn)), "proportion_ci", list(x, n), list(ci = "jeffreys", alpha = a),
      list(ci_low = jl, ci_high = jh),
      sprintf("c(if (x==0) 0 else qbeta(%g/2, x+0.5, n-x+0.5), if (x==n) 1 else qbeta(1-%g/2, x+0.5, n-x+0.5)); x=%g, n=%g",
              a, a, x, n))
}

## ------------------------------------------------------------------------------- brute-force score limits
# restricted MLE of p2 under the constraint p1 = g(p2; theta), by optimize() on the log-likelihood
rmle <- function(x1, n1, x2, n2, g, lo, hi) {
  ll <- function(p2) {
    p1 <- g(p2)
    dbinom(x1, n1, p1, log = TRUE) + dbinom(x2, n2, p2, log = TRUE)
  }
  eps <- 1e-15
  optimize(ll, c(max(lo, eps), min(hi, 1 - eps)), maximum = TRUE, tol = 1e-13)$maximum
}
# score statistic for RD = delta, RR = phi or OR = psi; factor N/(N-1) when mn
score_stat <- function(x1, n1, x2, n2, measure, theta, mn) {
  p1h <- x1 / n1; p2h <- x2 / n2; k <- if (mn) (n1 + n2) / (n1 + n2 - 1) else 1
  if (measure == "RD") {
    g <- function(p2) p2 + theta
    p2 <- rmle(x1, n1, x2, n2, g, max(0, -theta), min(1, 1 - theta)); p1 <- g(p2)
    (p1h - p2h - theta) / sqrt(k * (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
  } else if (measure == "RR") {
    g <- function(p2) theta * p2
    p2 <- rmle(x1, n1, x2, n2, g, 0, min(1, 1 / theta)); p1 <- g(p2)
    (p1h - theta * p2h) / sqrt(k * (p1 * (1 - p1) / n1 + theta^2 * p2 * (1 - p2) / n2))
  } else {
    g <- function(p2) theta * p2 / (1 - p2 + theta * p2)
    p2 <- rmle(x1, n1, x2, n2, g, 0, 1); p1 <- g(p2)
    v1 <- n1 * p1 * (1 - p1); v2 <- n2 * p2 * (1 - p2)
    (x1 - n1 * p1) / sqrt(k * v1 * v2 / (v1 + v2))
  }
}
score_limits <- function(t, measure, mn, a) {
  z <- qnorm(1 - a / 2)
  f <- function(th, s) score_stat(t[1], t[2], t[3], t[4], measure, th, mn) - s * z
  d <- t[1] / t[2] - t[3] / t[4]
  if (measure == "RD") {
    lo <- uniroot(f, c(-1 + 1e-9, d), s = 1, tol = 1e-12)$root
    hi <- uniroot(f, c(d, 1 - 1e-9), s = -1, tol = 1e-12)$root
  } else {  # on the log scale; estimate strictly inside (all tables used here have no zero cell)
    est <- if (measure == "RR") (t[1] / t[2]) / (t[3] / t[4]) else (t[1] * (t[4] - t[3])) / ((t[2] - t[1]) * t[3])
    h <- function(l, s) f(exp(l), s)
    lo <- exp(uniroot(h, c(log(est) - 20, log(est)), s = 1, tol = 1e-12)$root)
    hi <- exp(uniroot(h, c(log(est), log(est) + 20), s = -1, tol = 1e-12)$root)
  }
  c(lo, hi)
}
score_call <- "score_limits(): uniroot(tol=1e-12) of the score statistic at the restricted MLE found by optimize() on the binomial log-likelihood (this script)"

# conditional exact odds-ratio interval (Cornfield), the conditional MLE as estimate
exact_or <- function(t, a) {
  x1 <- t[1]; n1 <- t[2]; x2 <- t[3]; n2 <- t[4]; m <- x1 + x2
  u <- max(0, m - n2):min(n1, m)
  lw <- lchoose(n1, u) + lchoose(n2, m - u)
  pr <- function(lpsi) { w <- lw + u * lpsi; w <- exp(w - max(w)); w / sum(w) }
  upper_tail <- function(lpsi) sum(pr(lpsi)[u >= x1])
  lower_tail <- function(lpsi) sum(pr(lpsi)[u <= x1])
  lo <- exp(uniroot(function(l) upper_tail(l) - a / 2, c(-30, 30), tol = 1e-12)$root)
  hi <- exp(uniroot(function(l) lower_tail(l) - a / 2, c(-30, 30), tol = 1e-12)$root)
  est <- exp(uniroot(function(l) sum(u * pr(l)) - x1, c(-30, 30), tol = 1e-12)$root)
  c(est, lo, hi)
}

## ------------------------------------------------------------------------------------ two-arm intervals
for (a in alphas) for (t in tables) {
  lev <- 1 - a; z <- qnorm(1 - a / 2); id <- sprintf("%g/%s", a, tid(t))
  args <- as.list(t)
  wald <- prop.test(t[c(1, 3)], t[c(2, 4)], correct = FALSE, conf.level = lev)$conf.int
  add(paste0("rd-wald/", id), "risk_difference", args, list(ci = "wald", alpha = a),
      list(ci_low = wald[1], ci_high = wald[2]),
      sprintf("prop.test(c(%g,%g), c(%g,%g), correct=FALSE, conf.level=%g)$conf.int", t[1], t[3], t[2], t[4], lev))
  # prop.test shrinks the correction to |d|/sum(1/n) when |d| is smaller; every table here has |d| larger
  stopifnot(abs(t[1] / t[2] - t[3] / t[4]) >= 0.5 * (1 / t[2] + 1 / t[4]))
  wcc <- prop.test(t[c(1, 3)], t[c(2, 4)], correct = TRUE, conf.level = lev)$conf.int
  add(paste0("rd-wald_cc/", id), "risk_difference", args, list(ci = "wald_cc", alpha = a),
      list(ci_low = wcc[1], ci_high = wcc[2]),
      sprintf("prop.test(c(%g,%g), c(%g,%g), correct=TRUE, conf.level=%g)$conf.int", t[1], t[3], t[2], t[4], lev))
  w1 <- prop.test(t[1], t[2], correct = FALSE, conf.level = lev)$conf.int
  w2 <- prop.test(t[3], t[4], correct = FALSE, conf.level = lev)$conf.int
  p1 <- t[1] / t[2]; p2 <- t[3] / t[4]; d <- p1 - p2
  nlo <- d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2); nhi <- d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2)
  add(paste0("rd-newcombe/", id), "risk_difference", args, list(ci = "newcombe", alpha = a),
      list(ci_low = nlo, ci_high = nhi),
      "Newcombe (1998) method 10 by R arithmetic from the two prop.test(correct=FALSE, conf.level) Wilson limits")
  a1 <- (t[1] + 1) / (t[2] + 2); a2 <- (t[3] + 1) / (t[4] + 2)
  se <- sqrt(a1 * (1 - a1) / (t[2] + 2) + a2 * (1 - a2) / (t[4] + 2))
  add(paste0("rd-agresti_caffo/", id), "risk_difference", args, list(ci = "agresti_caffo", alpha = a),
      list(ci_low = max(a1 - a2 - z * se, -1), ci_high = min(a1 - a2 + z * se, 1)),
      "Agresti & Caffo (2000) by R arithmetic: (x+1)/(n+2) in each arm, Wald limits with qnorm(1-alpha/2)")
  for (mn in c(TRUE, FALSE)) {
    s <- score_limits(t, "RD", mn, a)
    add(paste0("rd-", if (mn) "mn" else "mee", "/", id), "risk_difference", args,
        list(ci = if (mn) "mn" else "mee", alpha = a), list(ci_low = s[1], ci_high = s[2]), score_call)
  }
  if (all(t[c(1, 3)] > 0) && all(t[c(1, 3)] < t[c(2, 4)])) {
    for (mn in c(FALSE, TRUE)) {
      s <- score_limits(t, "RR", mn, a)
      add(paste0("rr-", if (mn) "mn" else "koopman", "/", id), "risk_ratio", args,
          list(ci = if (mn) "mn" else "koopman", alpha = a), list(ci_low = s[1], ci_high = s[2]), score_call)
    }
    s <- score_limits(t, "OR", TRUE, a)
    add(paste0("or-mn/", id), "odds_ratio", args, list(ci = "mn", alpha = a),
        list(ci_low = s[1], ci_high = s[2]), score_call)
    e <- exact_or(t, a)
    add(paste0("or-exact/", id), "odds_ratio", args, list(ci = "exact", alpha = a),
        list(estimate = e[1], ci_low = e[2], ci_high = e[3]),
        "exact_or(): uniroot(tol=1e-12) of P(X >= x; psi) = alpha/2 and P(X <= x; psi) = alpha/2, conditional MLE E[X; psi] = x (this script)")
    # not fisher.test(): its uniroot stops at its default tolerance (conditional MLE 8.32845 for 7/34 vs 1/34, the
    # root is 8.32934; 99% upper limit 1956 against 2009), too loose to catch a wrong alpha
  }
  # Wald ratio intervals with a non-default zero-cell correction: metafor escalc(add=cc, to="only0")
  for (cc in c(0.25, 0.5)) for (m in c("RR", "OR")) {
    es <- escalc(measure = m, ai = t[1], n1i = t[2], ci = t[3], n2i = t[4], add = cc, to = "only0")
    add(sprintf("%s-%s/cc%g/%s", tolower(m), if (m == "RR") "katz" else "woolf", cc, id),
        if (m == "RR") "risk_ratio" else "odds_ratio", args,
        list(ci = if (m == "RR") "katz" else "woolf", alpha = a, cc = cc),
        list(estimate = exp(es$yi), ci_low = exp(es$yi - z * sqrt(es$vi)), ci_high = exp(es$yi + z * sqrt(es$vi))),
        sprintf('es <- escalc(measure="%s", ai=%g, n1i=%g, ci=%g, n2i=%g, add=%g, to="only0"); exp(yi -/+ qnorm(1-%g/2) sqrt(vi))',
                m, t[1], t[2], t[3], t[4], cc, a))
  }
}

## ------------------------------------------------------------------------------------------------ tests
for (t in tables) {
  mat <- matrix(c(t[1], t[2] - t[1], t[3], t[4] - t[3]), 2, byrow = TRUE)
  for (yates in c(FALSE, TRUE)) {
    r <- suppressWarnings(chisq.test(mat, correct = yates))
    add(sprintf("test-%s/%s", if (yates) "yates" else "chi2", tid(t)), "proportions_test", as.list(t),
        list(test = if (yates) "yates" else "chi2"), list(statistic = r$statistic, p_value = r$p.value),
        sprintf("chisq.test(matrix(c(%s),2,byrow=TRUE), correct=%s)", paste(mat[c(1, 3, 2, 4)], collapse = ","), yates))
  }
  r <- fisher.test(mat)
  add(sprintf("test-fisher/%s", tid(t)), "proportions_test", as.list(t), list(test = "fisher"),
      list(p_value = r$p.value), sprintf("fisher.test(matrix(c(%s),2,byrow=TRUE))$p.value", paste(mat[c(1, 3, 2, 4)], collapse = ",")))
}

## ---------------------------------------------------------------------------- compare() at alpha 0.10, cc 0.25
compare_ref <- function(cmp_tab, a, cc) {
  cmp <- list(); lev <- 1 - a
  for (i in seq_len(nrow(cmp_tab))) {
    t <- cmp_tab[i, ]
    rt_ <- prop.test(t[1], t[2], correct = FALSE, conf.level = lev)$conf.int
    rc_ <- prop.test(t[3], t[4], correct = FALSE, conf.level = lev)$conf.int
    rd_ <- prop.test(t[c(1, 3)], t[c(2, 4)], correct = FALSE, conf.level = lev)$conf.int
    z <- qnorm(1 - a / 2)
    rr_ <- escalc(measure = "RR", ai = t[1], n1i = t[2], ci = t[3], n2i = t[4], add = cc, to = "only0")
    or_ <- escalc(measure = "OR", ai = t[1], n1i = t[2], ci = t[3], n2i = t[4], add = cc, to = "only0")
    p <- suppressWarnings(chisq.test(matrix(c(t[1], t[2] - t[1], t[3], t[4] - t[3]), 2, byrow = TRUE),
                                     correct = FALSE))$p.value
    cmp[[i]] <- list(counts = t, rate_t = t[1] / t[2], rate_t_low = rt_[1], rate_t_high = rt_[2],
                     rate_c = t[3] / t[4], rate_c_low = rc_[1], rate_c_high = rc_[2],
                     rd = t[1] / t[2] - t[3] / t[4], rd_low = rd_[1], rd_high = rd_[2],
                     rr = exp(rr_$yi), rr_low = exp(rr_$yi - z * sqrt(rr_$vi)), rr_high = exp(rr_$yi + z * sqrt(rr_$vi)),
                     or = exp(or_$yi), or_low = exp(or_$yi - z * sqrt(or_$vi)), or_high = exp(or_$yi + z * sqrt(or_$vi)),
                     p_value = p)
  }
  pv <- sapply(cmp, function(r) r$p_value)
  for (i in seq_along(cmp)) { cmp[[i]]$p_holm <- p.adjust(pv, "holm")[i]; cmp[[i]]$p_hochberg <- p.adjust(pv, "hochberg")[i] }
  list(
    kwargs = list(rd_ci = "wald", rr_ci = "katz", or_ci = "woolf", test = "chi2", rate_ci = "wilson", alpha = a, cc = cc),
    calls = list(rate = sprintf("prop.test(x, n, correct=FALSE, conf.level=%g)$conf.int (each arm)", lev),
                 rd = sprintf("prop.test(c(x_t,x_c), c(n_t,n_c), correct=FALSE, conf.level=%g)$conf.int", lev),
                 rr_or = sprintf('escalc(measure="RR"/"OR", ..., add=%g, to="only0"); exp(yi -/+ qnorm(1-%g/2) sqrt(vi))', cc, a),
                 p = "chisq.test(matrix(c(x_t, n_t-x_t, x_c, n_c-x_c), 2, byrow=TRUE), correct=FALSE)$p.value",
                 adjusted = 'p.adjust(p, "holm"), p.adjust(p, "hochberg")'),
    rows = cmp)
}
# zero cells, a crossing interval, a large trial; then three p-values just under 0.05 where Holm and
# Hochberg differ (Holm 0.087 for all three, Hochberg 0.047)
compare_cases <- list(
  compare_ref(rbind(c(7, 34, 1, 34), c(0, 20, 3, 25), c(18, 85, 6, 21), c(103, 516, 56, 509)), 0.10, 0.25),
  compare_ref(rbind(c(20, 50, 10, 50), c(18, 50, 9, 50), c(30, 100, 18, 100)), 0.01, 0.25))

## ------------------------------------------------------------------------ pooling at levels 90 and 99
bcg <- dat.bcg
pool_sets <- list(
  bcg = data.frame(study = bcg$author, events_t = bcg$tpos, n_t = bcg$tpos + bcg$tneg,
                   events_c = bcg$cpos, n_c = bcg$cpos + bcg$cneg, stringsAsFactors = FALSE),
  nausea = data.frame(study = c("Mease2009 100", "Mease2009 200", "Arnold2010", "Bateman2013"),
                      events_t = c(73, 177, 189, 18), n_t = c(224, 441, 516, 85),
                      events_c = c(24, 23, 106, 6), n_c = c(112, 111, 509, 21), stringsAsFactors = FALSE))
fit <- function(d, measure, method, test, level) {
  if (method == "MH") return(rma.mh(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, measure = measure,
                                    level = level, drop00 = measure != "RD"))
  if (method == "Peto") return(rma.peto(ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, level = level))
  es <- escalc(measure = measure, ai = events_t, n1i = n_t, ci = events_c, n2i = n_c, data = d, add = 1/2,
               to = "only0", drop00 = measure != "RD")
  m <- if (method == "IV") "FE" else method
  ctrl <- switch(method, REML = list(threshold = 1e-12, maxiter = 1000), PM = list(tol = 1e-12, maxiter = 1000), list())
  rma.uni(yi, vi, data = es, method = m, test = test, level = level, control = ctrl)
}
pool_cases <- list()
tests_py <- c(z = "z", knha = "hksj", adhoc = "hksj-adhoc")
for (dn in names(pool_sets)) for (measure in c("RR", "OR", "RD")) for (level in c(90, 99)) {
  for (method in c("MH", "IV", "DL", "REML", "PM", if (measure == "OR") "Peto")) {
    for (test in if (method %in% c("DL", "REML", "PM")) c("z", "knha", "adhoc") else "z") {
      d <- pool_sets[[dn]]
      res <- fit(d, measure, method, test, level)
      out <- list(beta = num(res$beta), se = num(res$se), ci_low = num(res$ci.lb), ci_high = num(res$ci.ub),
                  p_value = num(res$pval), tau2 = num(res$tau2))
      call <- sprintf('%s(..., measure="%s", method="%s", test="%s", level=%g); escalc(add=1/2, to="only0", drop00=%s)',
                      if (method == "MH") "rma.mh" else if (method == "Peto") "rma.peto" else "rma.uni",
                      measure, method, test, level, measure != "RD")
      if (method %in% c("DL", "REML", "PM")) {
        pr <- predict(res, level = level)
        out$pi_metafor_low <- num(pr$pi.lb); out$pi_metafor_high <- num(pr$pi.ub)
        zfit <- fit(d, measure, method, "z", level)
        k <- res$k; crit <- qt(1 - (1 - level / 100) / 2, k - 2)
        out$pi_hts_low <- num(res$beta - crit * sqrt(zfit$se^2 + res$tau2))
        out$pi_hts_high <- num(res$beta + crit * sqrt(zfit$se^2 + res$tau2))
        ci <- confint(res, level = level, control = list(tol = 1e-12))
        out$tau2_ci_low <- num(ci$random["tau^2", "ci.lb"]); out$tau2_ci_high <- num(ci$random["tau^2", "ci.ub"])
        call <- paste0(call, sprintf("; predict(res, level=%g); confint(res, level=%g, control=list(tol=1e-12)); HTS: b -/+ qt(1-alpha/2, k-2) sqrt(se_z^2 + tau2)", level, level))
      }
      pool_cases[[length(pool_cases) + 1L]] <- list(
        id = sprintf("%s/%s/%s/%s/%g", dn, measure, method, test, level), dataset = dn, measure = measure,
        method = method, test = unname(tests_py[test]), alpha = 1 - level / 100, call = call, result = out)
    }
  }
}

## ------------------------------------------------------------------ the report's tables (fmtrials.analyse())
# Counts typed in from fmtrials.analyse()[endpoint].pooled_table (shared Mease 2009 placebo arms already split
# 24/112 + 23/111 etc. by the rule of fmtrials.split_shared_placebo); tests/test_report_metafor.py asserts that
# these are still exactly the tables the report pools. Columns: events_t, n_t, events_c, n_c, dose_mg_day.
tab <- function(study, m) data.frame(study = study, events_t = m[, 1], n_t = m[, 2], events_c = m[, 3],
                                     n_c = m[, 4], dose_mg_day = m[, 5], stringsAsFactors = FALSE)
rt <- list()
rt$composite_3 <- tab(c("Arnold2010"), rbind(c(103, 516, 56, 509, 100)))
rt$pain_30 <- tab(c("Arnold2010"), rbind(c(230, 516, 156, 509, 100)))
rt$pain_50 <- tab(c("Arnold2010"), rbind(c(143, 516, 92, 509, 100)))
rt$pgic <- tab(c("Arnold2010", "Bateman2013"), rbind(c(216, 516, 132, 509, 100), c(26, 79, 5, 21, 100)))
rt$ae_any <- tab(c("Arnold2010", "Bateman2013"), rbind(c(434, 516, 382, 509, 100), c(63, 85, 16, 21, 100)))
rt$sae <- tab(c("Arnold2010", "Bateman2013"), rbind(c(8, 516, 6, 509, 100), c(2, 85, 0, 21, 100)))
rt$withdrawal_any <- tab(c("Arnold2010", "Bateman2013"), rbind(c(159, 516, 150, 509, 100), c(35, 86, 10, 21, 100)))
# withdrawal_any with the alternative analysis swapped in (Arnold2010 registry)
rt$withdrawal_any__alternative <- tab(c("Bateman2013", "Arnold2010"),
                                      rbind(c(35, 86, 10, 21, 100), c(163, 516, 152, 509, 100)))
rt$nausea <- tab(c("Mease2009", "Mease2009", "Arnold2010", "Bateman2013"), rbind(
  c(73, 224, 24, 112, 100), c(177, 441, 23, 111, 200), c(189, 516, 106, 509, 100), c(18, 85, 6, 21, 100)))
rt$headache <- tab(c("Mease2009", "Mease2009", "Arnold2010", "Bateman2013"), rbind(
  c(35, 224, 13, 112, 100), c(78, 441, 13, 111, 200), c(92, 516, 80, 509, 100), c(10, 85, 2, 21, 100)))
rt$dizziness <- tab(c("Mease2009", "Mease2009", "Arnold2010", "Bateman2013"), rbind(
  c(26, 224, 8, 112, 100), c(50, 441, 7, 111, 200), c(54, 516, 26, 509, 100), c(13, 85, 1, 21, 100)))

numbers <- function(d, method, test) {
  res <- tryCatch(suppressWarnings(fit(d, "RR", method, test, 95)), error = function(e) e)
  if (inherits(res, "error")) return(list(error = conditionMessage(res)))
  out <- list(k = res$k, estimate = exp(num(res$beta)), ci_low = exp(num(res$ci.lb)), ci_high = exp(num(res$ci.ub)),
              p_value = num(res$pval), q = num(res$QE), tau2 = num(res$tau2), i2 = num(res$I2), beta = num(res$beta),
              se = num(res$se))
  if (method %in% c("DL", "REML", "PM") && res$k >= 3) {
    zfit <- fit(d, "RR", method, "z", 95)
    crit <- qt(0.975, res$k - 2)
    out$pi_low <- exp(num(res$beta - crit * sqrt(zfit$se^2 + res$tau2)))
    out$pi_high <- exp(num(res$beta + crit * sqrt(zfit$se^2 + res$tau2)))
  }
  list(result = out, res = res)
}
grid <- list(c("MH", "z"), c("IV", "z"), c("DL", "z"), c("DL", "knha"), c("DL", "adhoc"), c("REML", "z"),
             c("REML", "knha"), c("REML", "adhoc"), c("PM", "z"), c("PM", "knha"), c("PM", "adhoc"))
report <- list()
for (ep in names(rt)) {
  d <- rt[[ep]]
  entry <- list(table = as.list(d))
  doses <- sort(unique(d$dose_mg_day))
  for (role in c("main", "common")) {
    spec <- if (role == "main") c("REML", "adhoc") else c("MH", "z")
    overall <- numbers(d, spec[1], spec[2])
    groups <- list()
    if (length(doses) > 1) {
      b <- c(); s <- c()
      for (g in doses) {
        f <- numbers(d[d$dose_mg_day == g, ], spec[1], spec[2])
        groups[[as.character(g)]] <- f$result
        # the test for subgroup differences on each subgroup's conventional (z) SE (RevMan), never the HKSJ SE
        fz <- if (spec[2] == "z") f else numbers(d[d$dose_mg_day == g, ], spec[1], "z")
        b <- c(b, f$result$beta); s <- c(s, fz$result$se)
      }
      qb <- rma.uni(yi = b, sei = s, method = "FE")
      overall$result$subgroup_q <- num(qb$QE); overall$result$subgroup_p <- num(qb$QEp)
    }
    entry[[role]] <- list(overall = overall$result, groups = groups)
    if (role == "main" && nrow(d) >= 3) {
      l1 <- leave1out(overall$res)
      entry$leave_one_out <- list(estimate = num(l1$estimate), ci_low = num(l1$ci.lb), ci_high = num(l1$ci.ub),
                                  p_value = num(l1$pval), q = num(l1$Q), i2 = num(l1$I2), tau2 = num(l1$tau2))
    }
  }
  if (nrow(d) >= 2) {
    entry$sensitivity <- lapply(grid, function(g) c(list(method = g[1], test = unname(tests_py[g[2]])),
                                                    numbers(d, g[1], g[2])$result))
  }
  report[[ep]] <- entry
}

doc <- list(
  generator = "tests/r/options_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  generated = format(Sys.time(), "%Y-%m-%d", tz = "UTC"),
  conventions = list(
    escalc = "add=cc (1/2 unless stated), to='only0'; drop00=TRUE for RR/OR, FALSE for RD",
    iterative = "REML threshold 1e-12, PM tol 1e-12, confint tol 1e-12 (the exact roots, not metafor's default stopping point)",
    report = paste("main model REML + test='adhoc' (fmtrials 'hksj-adhoc'), by dose_mg_day when several doses,",
                   "subgroup Q-between = rma.uni(yi=group estimates, sei=group SEs of the same estimator with test='z', method='FE')$QE;",
                   "common model rma.mh; leave1out() of the main model without subgroups; sensitivity grid rows;",
                   "pi = Higgins-Thompson-Spiegelhalter b -/+ qt(0.975, k-2) sqrt(se_z^2 + tau2) (k >= 3)"),
    pool_pi = "pi_metafor_*: predict(res, level); pi_hts_*: b -/+ qt(1-alpha/2, k-2) sqrt(se_z^2 + tau2)"),
  datasets = lapply(pool_sets, as.list),
  cases = cases,
  compare = compare_cases,
  pool = pool_cases,
  report = report)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = FALSE), out_path)
cat("wrote", out_path, "with", length(cases), "effects cases,", length(pool_cases), "pool cases,",
    length(report), "report tables\n")
