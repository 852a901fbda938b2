# Generates tests/data/continuous2_reference.json: R metafor reference values for the methods of fmtrials.pool and
# its companions on continuous outcomes (issue 25, part 2), beyond tests/r/continuous_reference.R:
# Q-profile CI of tau² (confint), the Higgins-Thompson-Spiegelhalter prediction interval, the ad hoc HKSJ test,
# subgroups and the test for subgroup differences, leave-one-out and cumulative analyses (leave1out, cumul),
# influence (influence) and Baujat points (baujat), meta-regression (rma(mods=)), small-study tests (regtest,
# ranktest) and trim-and-fill (trimfill), for MD, SMD and ROM on dat.normand1999, dat.curtis1998 and dat.gibson2002.
#
# Also writes tests/data/normand1999_continuous.csv (dat.normand1999 as a user continuous outcomes file).
# Run from the repository root:   Rscript tests/r/continuous2_reference.R
# Written with R 4.2.2 and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor; data sets from metadat).
# CI does not run this script: the JSON it writes is committed and tests/test_continuous2.py compares against it.
#
# Conventions: escalc's defaults (SMD: Hedges' g, exact correction, vtype = "LS"); tight convergence controls
# (REML threshold 1e-12, PM tol 1e-12). fmtrials names: mean_t = m1i, sd_t = sd1i, n_t = n1i (treatment),
# mean_c = m2i, sd_c = sd2i, n_c = n2i.
# Derived columns (documented here, written into the JSON "data"): normand1999$country (UK for Edinburgh,
# Orpington-*, Newcastle; Canada for Montreal-*; Sweden for Umea, Uppsala), the grouping of the subgroup cases;
# gibson2002$year (the publication year, metadat's column) for cumulative analysis and meta-regression.
# The HTS prediction interval is not a metafor function: it is beta ± qt(1 - alpha/2, k - 2) sqrt(se² + tau²) with
# rma's beta, se and tau² (Higgins, Thompson & Spiegelhalter 2009), computed below in R.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "continuous2_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/continuous2_reference.R")

to_cols <- function(d, study) data.frame(study = study, mean_t = d$m1i, sd_t = d$sd1i, n_t = d$n1i,
                                         mean_c = d$m2i, sd_c = d$sd2i, n_c = d$n2i, stringsAsFactors = FALSE)
ds <- list()
nm <- dat.normand1999
city <- sub("-.*", "", nm$source)
country <- ifelse(city %in% c("Edinburgh", "Orpington", "Newcastle"), "UK",
                  ifelse(city == "Montreal", "Canada", "Sweden"))
ds$normand1999 <- cbind(to_cols(nm, nm$source), country = country)
cu <- dat.curtis1998
ds$curtis1998 <- cbind(to_cols(cu, paste0("id", cu$id)), time = cu$time, fungrp = as.character(cu$fungrp))
gb <- dat.gibson2002[!is.na(dat.gibson2002$m1i), ]
ds$gibson2002 <- cbind(to_cols(gb, paste(gb$author, gb$year)), year = gb$year)

ev <- function(call, env) eval(parse(text = call), envir = env)
num <- function(x) as.numeric(x)
ctrl <- function(method) switch(method, REML = ", control=list(threshold=1e-12, maxiter=1000)",
                                PM = ", control=list(tol=1e-12, maxiter=1000, tau2.max=1e6)", "")
py_method <- function(m) if (m == "FE") "IV" else m
py_test <- function(t) switch(t, knha = "hksj", adhoc = "hksj-adhoc", z = "z")
measures <- list(normand1999 = c("MD", "SMD", "ROM"), curtis1998 = c("MD", "SMD", "ROM"),
                 gibson2002 = c("MD", "SMD"))
ecall <- function(ms) sprintf(
  'escalc(measure="%s", m1i=mean_t, sd1i=sd_t, n1i=n_t, m2i=mean_c, sd2i=sd_c, n2i=n_c, data=d)', ms)
setup <- function(dn, ms) { env <- new.env(); env$d <- ds[[dn]]; env$es <- ev(ecall(ms), env); env }
rcall <- function(method, test = "z", data = "es", mods = "")
  sprintf('rma(yi, vi%s, data=%s, method="%s", test="%s"%s)', mods, data, method, test, ctrl(method))

# 1. tau² CI (Q-profile), HTS prediction interval, ad hoc HKSJ
het <- list()
for (dn in names(measures)) for (ms in measures[[dn]]) for (method in c("DL", "REML", "PM")) {
  env <- setup(dn, ms)
  call <- rcall(method)
  fit <- ev(call, env)
  ci <- confint(fit, control = list(tol = 1e-12, maxiter = 10000))$random
  k <- fit$k
  half <- qt(0.975, k - 2) * sqrt(fit$se^2 + fit$tau2)
  ad <- ev(rcall(method, "adhoc"), env)
  het[[length(het) + 1]] <- list(data = dn, measure = ms, method = method, call = call,
    confint_call = paste0("confint(", call, ", control=list(tol=1e-12, maxiter=10000))"),
    beta = num(fit$beta), QE = num(fit$QE), tau2 = num(fit$tau2), tau2_ci_lb = num(ci["tau^2", "ci.lb"]), tau2_ci_ub = num(ci["tau^2", "ci.ub"]),
    I2_ci_lb = num(ci["I^2(%)", "ci.lb"]), I2_ci_ub = num(ci["I^2(%)", "ci.ub"]),
    hts_pi_lb = num(fit$beta) - half, hts_pi_ub = num(fit$beta) + half,
    adhoc_call = rcall(method, "adhoc"), adhoc_se = num(ad$se), adhoc_ci_lb = num(ad$ci.lb),
    adhoc_ci_ub = num(ad$ci.ub), adhoc_pval = num(ad$pval))
}

# 2. subgroups: each pooled on its own (rma on the subset), the test for subgroup differences as RevMan
#    (Q of the subgroup estimates with their z standard errors: rma(b, se², method="FE")$QE) and, for the common
#    effect, the moderator test QM of rma(mods = ~ factor(g), method="FE")
sub_cases <- list()
groupings <- list(normand1999 = "country", curtis1998 = "fungrp")
for (dn in names(groupings)) for (ms in measures[[dn]]) for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
  env <- setup(dn, ms); g <- groupings[[dn]]
  levs <- unique(env$es[[g]])
  groups <- list(); bz <- c(); sz <- c()
  for (lv in levs) {
    env$sub <- env$es[env$es[[g]] == lv, ]
    f <- ev(rcall(method, test, "sub"), env)
    fz <- ev(rcall(method, "z", "sub"), env)
    groups[[length(groups) + 1]] <- list(group = lv, k = f$k, beta = num(f$beta), se = num(f$se),
      ci_lb = num(f$ci.lb), ci_ub = num(f$ci.ub), pval = num(f$pval), tau2 = num(f$tau2), QE = num(f$QE))
    bz <- c(bz, num(fz$beta)); sz <- c(sz, num(fz$se))
  }
  between <- rma(bz, sei = sz, method = "FE")
  case <- list(data = dn, measure = ms, method = py_method(method), test = py_test(test), by = g,
               call = paste0("for each level: ", rcall(method, test, sprintf("es[es$%s == level, ]", g))),
               groups = groups, Q_between = num(between$QE), df_between = length(levs) - 1,
               p_between = num(between$QEp))
  if (method == "FE" && test == "z") {
    mm <- ev(sprintf('rma(yi, vi, mods = ~ factor(%s), data=es, method="FE")', g), env)
    case$QM <- num(mm$QM)
  }
  sub_cases[[length(sub_cases) + 1]] <- case
}

# 3. leave-one-out (not in continuous_reference.json: FE, PM, curtis1998, ROM) and cumulative analyses
loo_cases <- list(); cum_cases <- list()
for (dn in names(measures)) for (ms in measures[[dn]]) for (method in c("FE", "PM", "REML")) for (test in c("z", "knha")) {
  if (dn == "curtis1998" && method != "FE") next  # k = 102: the REML/PM refits are long; FE and DL below
  if (dn != "curtis1998" && ms != "ROM" && method == "REML") next  # in continuous_reference.json
  env <- setup(dn, ms)
  call <- rcall(method, test)
  l1 <- leave1out(ev(call, env))
  loo_cases[[length(loo_cases) + 1]] <- list(data = dn, measure = ms, method = py_method(method),
    test = py_test(test), call = paste0("leave1out(", call, ")"), estimate = num(l1$estimate), se = num(l1$se),
    ci_lb = num(l1$ci.lb), ci_ub = num(l1$ci.ub), pval = num(l1$pval), Q = num(l1$Q), tau2 = num(l1$tau2))
}
for (ms in c("MD", "SMD", "ROM")) {
  env <- setup("curtis1998", ms)
  call <- rcall("DL")
  l1 <- leave1out(ev(call, env))
  loo_cases[[length(loo_cases) + 1]] <- list(data = "curtis1998", measure = ms, method = "DL", test = "z",
    call = paste0("leave1out(", call, ")"), estimate = num(l1$estimate), se = num(l1$se),
    ci_lb = num(l1$ci.lb), ci_ub = num(l1$ci.ub), pval = num(l1$pval), Q = num(l1$Q), tau2 = num(l1$tau2))
}
for (dn in c("normand1999", "gibson2002")) for (ms in measures[[dn]]) for (method in c("FE", "DL", "REML")) for (test in c("z", "knha")) {
  env <- setup(dn, ms)
  call <- rcall(method, test)
  order <- if (dn == "gibson2002") "year" else NA
  cc <- if (is.na(order)) cumul(ev(call, env)) else cumul(ev(call, env), order = env$es$year)
  cum_cases[[length(cum_cases) + 1]] <- list(data = dn, measure = ms, method = py_method(method),
    test = py_test(test), order_by = order,
    call = if (is.na(order)) paste0("cumul(", call, ")") else paste0("cumul(", call, ", order=es$year)"),
    estimate = num(cc$estimate), se = num(cc$se), ci_lb = num(cc$ci.lb), ci_ub = num(cc$ci.ub),
    Q = num(cc$Q), tau2 = num(cc$tau2))
}

# 4. influence (FE, PM, knha; ROM) and Baujat points
inf_cases <- list(); baujat_cases <- list()
for (dn in c("normand1999", "gibson2002")) for (ms in measures[[dn]]) for (method in c("FE", "DL", "PM", "REML")) for (test in c("z", "knha")) {
  if (ms != "ROM" && method %in% c("DL", "REML") && test == "z") next  # in continuous_reference.json
  env <- setup(dn, ms)
  call <- rcall(method, test)
  fit <- ev(call, env)
  inf <- influence(fit)
  inf_cases[[length(inf_cases) + 1]] <- list(data = dn, measure = ms, method = py_method(method),
    test = py_test(test), call = paste0("influence(", call, ")"), rstudent = num(inf$inf$rstudent),
    dffits = num(inf$inf$dffits), cook_d = num(inf$inf$cook.d), cov_r = num(inf$inf$cov.r),
    tau2_del = num(inf$inf$tau2.del), QE_del = num(inf$inf$QE.del), hat = num(inf$inf$hat),
    weight = num(inf$inf$weight), dfbetas = num(inf$dfbs$intrcpt))
  if (test == "z") {
    pdf(NULL); bj <- baujat(fit); dev.off()
    baujat_cases[[length(baujat_cases) + 1]] <- list(data = dn, measure = ms, method = py_method(method),
      call = paste0("baujat(", call, ")"), x = num(bj$x), y = num(bj$y))
  }
}

# 5. meta-regression: gibson2002 ~ year (MD, SMD), normand1999 ~ factor(country) (MD, SMD, ROM),
#    curtis1998 MD/SMD ~ time + fungrp; every method, z and knha
mreg_cases <- list()
mreg_specs <- list(list("gibson2002", c("MD", "SMD"), "year", "~ year"),
                   list("normand1999", c("MD", "SMD", "ROM"), "country", "~ country"),
                   list("curtis1998", c("MD", "SMD"), c("time", "fungrp"), "~ time + fungrp"))
for (sp in mreg_specs) for (ms in sp[[2]]) for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
  env <- setup(sp[[1]], ms)
  call <- rcall(method, test, mods = paste0(", mods = ", sp[[4]]))
  fit <- ev(call, env)
  mreg_cases[[length(mreg_cases) + 1]] <- list(data = sp[[1]], measure = ms, method = py_method(method),
    test = py_test(test), moderators = sp[[3]], call = call, terms = rownames(fit$beta), beta = num(fit$beta),
    se = num(fit$se), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub), pval = num(fit$pval),
    tau2 = num(fit$tau2), QM = num(fit$QM), QMp = num(fit$QMp), QE = num(fit$QE), QEp = num(fit$QEp))
}

# 6. small-study tests and trim-and-fill
ss_cases <- list(); tf_cases <- list(); tf_skipped <- list()
for (dn in names(measures)) for (ms in measures[[dn]]) {
  env <- setup(dn, ms)
  env$fe <- ev(rcall("FE"), env)
  env$reml <- ev(rcall("REML"), env)
  env$dl_knha <- ev(rcall("DL", "knha"), env)
  env$pm <- ev(rcall("PM"), env)
  calls <- list(egger = 'regtest(fe, model="lm", predictor="sei")', begg = 'ranktest(fe)',
                egger_rma_REML_z = 'regtest(reml, predictor="sei")',
                egger_rma_DL_hksj = 'regtest(dl_knha, predictor="sei")',
                egger_rma_PM_z = 'regtest(pm, predictor="sei")',
                egger_rma_IV_z = 'regtest(fe, predictor="sei")')
  for (nmc in names(calls)) {
    r <- ev(calls[[nmc]], env)
    fitted <- c(fe = rcall("FE"), reml = rcall("REML"), dl_knha = rcall("DL", "knha"), pm = rcall("PM"))
    parts <- strsplit(nmc, "_")[[1]]
    if (nmc == "begg") {
      ss_cases[[length(ss_cases) + 1]] <- list(data = dn, measure = ms, test = "begg", call = calls[[nmc]],
                                               statistic = num(r$tau), pval = num(r$pval))
    } else {
      ss_cases[[length(ss_cases) + 1]] <- list(data = dn, measure = ms,
        test = if (nmc == "egger") "egger" else "egger_rma",
        method = if (nmc == "egger") NA else parts[3], fit_test = if (nmc == "egger") NA else parts[4],
        call = calls[[nmc]], fits = as.list(fitted), statistic = num(r$zval), pval = num(r$pval),
        df = if (is.null(r$dfs)) NA else num(r$dfs))
    }
  }
  for (method in c("FE", "DL", "REML", "PM")) for (est in c("L0", "R0")) for (side in c("auto", "left", "right")) {
    call <- rcall(method)
    # trimfill refits with rma.uni's default control unless given one: the same tight control as the fit
    tcall <- sprintf('trimfill(%s, estimator="%s"%s%s)', call, est, if (side == "auto") "" else sprintf(', side="%s"', side),
                     ctrl(method))
    tf <- tryCatch(ev(tcall, env), error = function(e) conditionMessage(e))
    if (is.character(tf)) {  # metafor's PM refit of the filled data fails (tau2.max): recorded, not compared
      tf_skipped[[length(tf_skipped) + 1]] <- list(data = dn, measure = ms, call = tcall, error = tf)
      next
    }
    tf_cases[[length(tf_cases) + 1]] <- list(data = dn, measure = ms, method = py_method(method), estimator = est,
      side_arg = side, call = tcall, side = tf$side, k0 = tf$k0, se_k0 = num(tf$se.k0), beta = num(tf$beta),
      se = num(tf$se), ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub), pval = num(tf$pval), tau2 = num(tf$tau2),
      fill_yi = num(tf$yi[tf$fill]), fill_vi = num(tf$vi[tf$fill]))
  }
}

out <- list(
  generated_by = "tests/r/continuous2_reference.R",
  r_version = R.version.string, metafor_version = as.character(packageVersion("metafor")),
  data = ds, heterogeneity = het, subgroups = sub_cases, leave1out = loo_cases, cumulative = cum_cases,
  influence = inf_cases, baujat = baujat_cases, meta_regression = mreg_cases, small_study = ss_cases,
  trimfill = tf_cases, trimfill_not_run = tf_skipped)
# dat.normand1999 as a user continuous outcomes file (fmtrials.read_continuous), for the report tests:
# length of hospital stay in days, lower is better (direction "harmful")
user <- cbind(ds$normand1999[, c("study", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c")],
              endpoint = "length_of_stay", direction = "harmful", unit = "days")
write.csv(user[, c("study", "endpoint", "mean_t", "sd_t", "n_t", "mean_c", "sd_c", "n_c", "direction", "unit")],
          file.path("tests", "data", "normand1999_continuous.csv"), row.names = FALSE, quote = FALSE)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
