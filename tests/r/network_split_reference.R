# Generates tests/data/network_split_reference.json: R metafor reference values for fmtrials.network_meta with
# continuous outcomes (MD, SMD) and for NetworkResult.split() with multi-arm trials (issues 24 and 25).
#
# Run from the repository root:   Rscript tests/r/network_split_reference.R
# Written with R 4.2.x and metafor 3.8-1 (Debian r-cran-metafor; dat.senn2013 from metadat). netmeta is not
# packaged for Debian; the network model is the one netmeta fits, as in tests/r/network_reference.R:
#   rma.mv(yi, V, mods = X, random = ~ comp | study, struct = "CS", rho = 1/2)       (REML, one tau^2)
#   rma.mv(yi, V, mods = X, method = "FE")                                             (common effect, GLS)
#   rma.mv(..., tau2 = tau2_dl)     with netmeta's generalised DerSimonian-Laird tau^2 (tau.DL in netmeta's
#                                   R/tau.within.R; Jackson, White & Riley 2012, Stat Med 31:3805-3820)
# yi: each study's contrasts of every arm against the study's first arm; V: their covariance (the first arm's
# variance on the off-diagonal); X: +1 for the arm's treatment, -1 for the first arm's, reference dropped.
#
# Data
# * stowe2010: Parkinson's disease, off-time reduction (hours/day), 29 studies, one three-arm (LARGO); netmeta's
#   data set Stowe2010 (github.com/guido-s/netmeta, data/Stowe2010.rda, netmeta 3.6-2) in long format, saved as
#   tests/data/stowe2010_arms.csv. It is the worked example of Balduzzi et al. (2023), "netmeta: An R package
#   for network meta-analysis using frequentist methods", J Stat Softw 106(2), section 5.1, whose printed
#   output the Python tests also check (netmeta's DL).
# * senn2013: dat.senn2013 (metadat), HbA1c, 26 studies, one three-arm (Willms 1999), arm-level mi, sdi, ni.
# * hasselblad1998: dat.hasselblad1998, smoking cessation (log OR), two three-arm studies.
# MD per arm: theta = mean, variance sd^2 / n (escalc "MD" of a pair is the difference of the two, variance the
# sum). SMD (two-arm studies only): escalc(measure = "SMD") of the second arm against the first.
#
# split (netmeta netsplit, method "Back-calculation", Koenig et al. 2013 / Dias et al. 2010; netmeta's
# R/netmeta.R, R/netmeasures.R, R/nma.ruecker.R): for every pair (a, b) with direct evidence,
#   direct    = inverse-variance pooling of the a-b contrast of every study holding both (a multi-arm study with
#               its a-b contrast, variance v_a + v_b), each variance + tau^2 (the network's tau^2), rma(method="FE")
#   prop      = V_nma / V_direct                         (direct evidence proportion, netmeasures()$proportion)
#   indirect  = (nma - prop * direct) / (1 - prop),   se = sqrt(V_nma / (1 - prop))
#   diff      = direct - indirect, se = sqrt(V_direct + V_indirect), z, two-sided normal p
# with nma and V_nma from rma.mv's coefficients and vcov.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "network_split_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/network_split_reference.R")
ctrl <- list(optimizer = "nlminb", optCtrl = list(rel.tol = 1e-14, x.tol = 1e-14, eval.max = 1000, iter.max = 1000))

ds <- list()
ds$stowe2010 <- read.csv(file.path("tests", "data", "stowe2010_arms.csv"), stringsAsFactors = FALSE)
s <- dat.senn2013
ds$senn2013 <- data.frame(study = s$study, treatment = s$treatment, mean = s$mi, sd = s$sdi, n = s$ni)
h <- dat.hasselblad1998
ds$hasselblad1998 <- data.frame(study = as.character(h$study), treatment = h$trt, events = h$xi, n = h$ni)

arm_theta <- function(b, measure) {
  if (measure == "MD") return(list(th = b$mean, va = b$sd^2 / b$n))
  x <- b$events; n <- b$n
  if (any(x == 0 | x == n)) { x <- x + 0.5; n <- n + 1 }
  list(th = log(x / (n - x)), va = 1 / x + 1 / (n - x))
}

contrasts_of <- function(a, measure, ref) {
  studies <- unique(a$study)
  trts <- sort(unique(a$treatment))
  others <- setdiff(trts, ref)
  rows <- list(); Vblocks <- list()
  for (st in studies) {
    b <- a[a$study == st, ]
    k <- nrow(b)
    if (measure == "SMD") {
      e <- escalc("SMD", m1i = b$mean[2], sd1i = b$sd[2], n1i = b$n[2], m2i = b$mean[1], sd2i = b$sd[1], n2i = b$n[1])
      yi <- as.numeric(e$yi); Vs <- matrix(as.numeric(e$vi), 1, 1)
    } else {
      tv <- arm_theta(b, measure)
      yi <- tv$th[2:k] - tv$th[1]
      Vs <- matrix(tv$va[1], k - 1, k - 1); diag(Vs) <- tv$va[2:k] + tv$va[1]
    }
    for (j in 2:k) {
      xr <- setNames(rep(0, length(others)), others)
      if (b$treatment[j] != ref) xr[b$treatment[j]] <- xr[b$treatment[j]] + 1
      if (b$treatment[1] != ref) xr[b$treatment[1]] <- xr[b$treatment[1]] - 1
      rows[[length(rows) + 1]] <- data.frame(study = st, comp = paste(b$treatment[j], b$treatment[1], sep = ":"),
                                             yi = yi[j - 1], t(xr), check.names = FALSE)
    }
    Vblocks[[length(Vblocks) + 1]] <- Vs
  }
  list(dat = do.call(rbind, rows), V = as.matrix(Matrix::bdiag(Vblocks)), others = others, trts = trts)
}

tau2_dl <- function(dd, V, X) {
  W0 <- solve(V); C <- solve(t(X) %*% W0 %*% X)
  r <- dd$yi - X %*% (C %*% t(X) %*% W0 %*% dd$yi)
  Q <- as.numeric(t(r) %*% W0 %*% r)
  P <- (outer(dd$study, dd$study, "==") * 1) * 0.5 + diag(nrow(dd)) * 0.5
  max(0, (Q - nrow(dd) + ncol(X)) / (sum(diag(W0 %*% P)) - sum(diag(C %*% t(X) %*% W0 %*% P %*% W0 %*% X))))
}

pscores <- function(b, vb, ref) {
  th <- setNames(c(0, b), c(ref, names(b)))
  full <- matrix(0, length(th), length(th), dimnames = list(names(th), names(th)))
  full[names(b), names(b)] <- vb
  ps <- sapply(names(th), function(i) mean(sapply(setdiff(names(th), i), function(j)
    pnorm((th[i] - th[j]) / sqrt(full[i, i] + full[j, j] - 2 * full[i, j])))))
  as.list(ps)
}

# netmeta's back-calculation from a fitted rma.mv (coefficients b, vcov vb, tau2)
backcalc <- function(a, measure, ref, b, vb, tau2) {
  th <- setNames(c(0, b), c(ref, names(b)))
  full <- matrix(0, length(th), length(th), dimnames = list(names(th), names(th)))
  full[names(b), names(b)] <- vb
  trts <- sort(names(th))
  out <- list()
  for (i in seq_along(trts)) for (j in seq_along(trts)) {
    ta <- trts[i]; tb <- trts[j]
    if (ta >= tb) next
    yi <- c(); vi <- c()
    for (st in unique(a$study)) {
      g <- a[a$study == st, ]
      if (!(ta %in% g$treatment && tb %in% g$treatment)) next
      tv <- arm_theta(g, measure)
      ia <- which(g$treatment == ta); ib <- which(g$treatment == tb)
      yi <- c(yi, tv$th[ia] - tv$th[ib]); vi <- c(vi, tv$va[ia] + tv$va[ib])
    }
    if (length(yi) == 0) next
    d <- rma(yi, vi + tau2, method = "FE")
    nma <- as.numeric(th[ta] - th[tb]); vn <- full[ta, ta] + full[tb, tb] - 2 * full[ta, tb]
    vd <- as.numeric(d$se^2); prop <- vn / vd
    row <- list(treatment = ta, versus = tb, k_direct = length(yi), nma = nma, nma_se = sqrt(vn),
                direct = as.numeric(d$beta), direct_se = as.numeric(d$se), direct_share = prop)
    if (prop < 1 - 1e-9) {
      ind <- (nma - prop * row$direct) / (1 - prop); vi_ <- vn / (1 - prop)
      diff <- row$direct - ind; sd_ <- sqrt(vd + vi_)
      row <- c(row, list(indirect = ind, indirect_se = sqrt(vi_), diff = diff, diff_se = sd_, z = diff / sd_,
                         p = 2 * pnorm(-abs(diff / sd_))))
    }
    out[[length(out) + 1]] <- row
  }
  out
}

fit_case <- function(a, measure, ref) {
  cc <- contrasts_of(a, measure, ref)
  dd <- cc$dat; V <- cc$V
  X <- as.matrix(dd[, cc$others, drop = FALSE])
  tdl <- tau2_dl(dd, V, X)
  calls <- list(
    common = "rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, method = 'FE')",
    DL = paste0("rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, random = ~ comp | study, struct = 'CS', ",
                "rho = 1/2, tau2 = tdl)"),
    REML = paste0("rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, random = ~ comp | study, struct = 'CS', ",
                  "rho = 1/2, method = 'REML', control = ctrl)"))
  fits <- list()
  for (m in names(calls)) {
    f <- eval(parse(text = calls[[m]]))
    b <- setNames(as.vector(coef(f)), cc$others)
    vb <- vcov(f); dimnames(vb) <- list(cc$others, cc$others)
    tau2 <- if (m == "common") 0 else f$tau2
    fits[[m]] <- list(call = calls[[m]], treatment = cc$others, estimate = b, se = as.vector(f$se),
                      ci_low = as.vector(f$ci.lb), ci_high = as.vector(f$ci.ub), vcov = unname(vb),
                      tau2 = tau2, q = f$QE, q_df = f$k - f$p, p_scores = pscores(b, vb, ref))
    if (measure != "SMD") fits[[m]]$split <- backcalc(a, measure, ref, b, vb, tau2)
  }
  fits
}

cases <- list()
cases$stowe2010_MD <- list(data = "stowe2010", measure = "MD", reference = "Placebo",
                           fits = fit_case(ds$stowe2010, "MD", "Placebo"))
cases$senn2013_MD <- list(data = "senn2013", measure = "MD", reference = "placebo",
                          fits = fit_case(ds$senn2013, "MD", "placebo"))
two <- ds$senn2013[ds$senn2013$study %in% names(which(table(ds$senn2013$study) == 2)), ]
ds$senn2013_two_arm <- two
cases$senn2013_two_arm_MD <- list(data = "senn2013_two_arm", measure = "MD", reference = "placebo",
                                  fits = fit_case(two, "MD", "placebo"))
cases$senn2013_two_arm_SMD <- list(data = "senn2013_two_arm", measure = "SMD", reference = "placebo",
                                   fits = fit_case(two, "SMD", "placebo"))
cases$hasselblad1998_OR <- list(data = "hasselblad1998", measure = "OR", reference = "no_contact",
                                fits = fit_case(ds$hasselblad1998, "OR", "no_contact"))

out <- list(
  generated_by = "tests/r/network_split_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  datasets = ds,
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
