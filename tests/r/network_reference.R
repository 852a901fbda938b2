# Generates tests/data/network_reference.json: R metafor reference values for fmtrials.network_meta (issue 24).
#
# Run from the repository root:   Rscript tests/r/network_reference.R
# Written with R 4.2.x and metafor 3.8-1 (Debian r-cran-metafor; data sets from metadat). netmeta is not
# packaged for Debian, so the network model is fitted as the multivariate model netmeta also fits:
#   rma.mv(yi, V, mods = X, random = ~ comp | study, struct = "CS", rho = 1/2)       (REML, one tau^2)
#   rma.mv(yi, V, mods = X, method = "FE")                                             (common effect, GLS)
# yi: each study's contrasts of every arm against the study's first arm (input order); V: their within-study
# covariance (arm variance of the first arm on the off-diagonal); X: +1 for the arm's treatment, -1 for the
# first arm's, reference column dropped. Zero cells as netmeta's pairwise(): 0.5 added to every cell of every
# arm of a study with a zero-event or all-event arm; a study whose arms are all zero (or all all-event) is dropped.
# P-scores (Ruecker & Schwarzer 2015, BMC Med Res Methodol 15:58): P_i = mean over j != i of
# pnorm((b_i - b_j) / se(b_i - b_j)), larger is better, from the rma.mv coefficients and vcov.
# Design-by-treatment decomposition (common effect): Q_within = sum over designs of the QE of a common-effect
# rma.mv fitted to that design's studies with the design's own treatment effects; Q_between = Q - Q_within.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "network_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/network_reference.R")

ds <- list()
h <- dat.hasselblad1998
ds$hasselblad1998 <- data.frame(study = as.character(h$study), treatment = h$trt, events = h$xi, n = h$ni)
d <- dat.dong2013
ds$dong2013 <- data.frame(study = as.character(d$id), treatment = d$treatment, events = d$death, n = d$randomized)
p <- dat.pagliaro1992
ds$pagliaro1992 <- data.frame(study = as.character(p$study), treatment = p$trt, events = p$xi, n = p$ni)
w <- dat.woods2010
ds$woods2010 <- data.frame(study = w$author, treatment = w$treatment, events = w$r, n = w$N)
refs <- list(hasselblad1998 = "no_contact", dong2013 = "Placebo", pagliaro1992 = "control", woods2010 = "Placebo")

contrasts_of <- function(a, measure, ref) {
  a$study <- as.character(a$study)
  studies <- unique(a$study)
  trts <- sort(unique(a$treatment))
  others <- setdiff(trts, ref)
  rows <- list(); Vblocks <- list()
  for (s in studies) {
    b <- a[a$study == s, ]
    x <- b$events; n <- b$n
    if (all(x == 0) || all(x == n)) next
    if (any(x == 0 | x == n)) { x <- x + 0.5; n <- n + 1 }
    if (measure == "RR") { th <- log(x / n); va <- 1 / x - 1 / n }
    if (measure == "OR") { th <- log(x / (n - x)); va <- 1 / x + 1 / (n - x) }
    if (measure == "RD") { th <- x / n; va <- th * (1 - th) / n }
    k <- nrow(b)
    for (j in 2:k) {
      xr <- setNames(rep(0, length(others)), others)
      if (b$treatment[j] != ref) xr[b$treatment[j]] <- xr[b$treatment[j]] + 1
      if (b$treatment[1] != ref) xr[b$treatment[1]] <- xr[b$treatment[1]] - 1
      rows[[length(rows) + 1]] <- data.frame(study = s, comp = paste(b$treatment[j], b$treatment[1], sep = ":"),
                                             yi = th[j] - th[1], t(xr), check.names = FALSE)
    }
    Vs <- matrix(va[1], k - 1, k - 1); diag(Vs) <- va[2:k] + va[1]
    Vblocks[[length(Vblocks) + 1]] <- Vs
  }
  dd <- do.call(rbind, rows)
  list(dat = dd, V = as.matrix(Matrix::bdiag(Vblocks)), others = others, trts = trts)
}

pscores <- function(b, vb, trts, ref) {
  th <- setNames(c(0, b), c(ref, names(b)))
  full <- matrix(0, length(th), length(th), dimnames = list(names(th), names(th)))
  full[names(b), names(b)] <- vb
  ps <- sapply(names(th), function(i) {
    mean(sapply(setdiff(names(th), i), function(j) {
      v <- full[i, i] + full[j, j] - 2 * full[i, j]
      pnorm((th[i] - th[j]) / sqrt(v))
    }))
  })
  as.list(ps)
}

cases <- list()
for (nm in names(ds)) for (measure in c("OR", "RR")) {
  ref <- refs[[nm]]
  cc <- contrasts_of(ds[[nm]], measure, ref)
  dd <- cc$dat; V <- cc$V
  X <- as.matrix(dd[, cc$others, drop = FALSE])
  fits <- list()
  calls <- list(
    common = "rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, method = 'FE')",
    REML = paste0("rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, random = ~ comp | study, struct = 'CS', ",
                  "rho = 1/2, method = 'REML', control = list(optimizer = 'nlminb', optCtrl = list(rel.tol = 1e-14, x.tol = 1e-14, eval.max = 1000, iter.max = 1000)))"))
  # netmeta's generalised DerSimonian-Laird tau^2, the matrix formula of netmeta's R/tau.within.R (tau.DL,
  # github.com/guido-s/netmeta; Jackson, White & Riley 2012, Stat Med 31:3805-3820) on the consistency design:
  # tau^2 = max(0, (Q - n + p) / (tr(W0 P) - tr(C X' W0 P W0 X))), W0 = V^-1, C = (X' W0 X)^-1, P = the
  # block-diagonal matrix of 1 (diagonal) and 1/2 (contrasts of one study); then rma.mv with that tau^2 fixed
  W0 <- solve(V); C <- solve(t(X) %*% W0 %*% X)
  r <- dd$yi - X %*% (C %*% t(X) %*% W0 %*% dd$yi)
  Qdl <- as.numeric(t(r) %*% W0 %*% r)
  P <- (outer(dd$study, dd$study, "==") * 1) * 0.5 + diag(nrow(dd)) * 0.5
  tau2_dl <- max(0, (Qdl - nrow(dd) + ncol(X)) /
                   (sum(diag(W0 %*% P)) - sum(diag(C %*% t(X) %*% W0 %*% P %*% W0 %*% X))))
  calls$DL <- paste0("rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, random = ~ comp | study, struct = 'CS', ",
                     "rho = 1/2, tau2 = tau2_dl)")
  for (m in names(calls)) {
    f <- eval(parse(text = calls[[m]]))
    b <- setNames(as.vector(coef(f)), cc$others)
    vb <- vcov(f); dimnames(vb) <- list(cc$others, cc$others)
    fits[[m]] <- list(call = calls[[m]], treatment = cc$others, estimate = b, se = as.vector(f$se),
                      ci_low = as.vector(f$ci.lb), ci_high = as.vector(f$ci.ub), vcov = unname(vb),
                      tau2 = if (m == "common") 0 else f$tau2, q = f$QE, q_df = f$k - f$p,
                      p_scores = pscores(b, vb, cc$trts, ref), logLik = as.numeric(logLik(f)))
    if (m != "common") {
      pr <- predict(f, newmods = diag(length(cc$others)))
      fits[[m]]$pi_low <- as.vector(pr$pi.lb); fits[[m]]$pi_high <- as.vector(pr$pi.ub)
    }
  }
  # design-by-treatment decomposition of Q (common effect)
  a <- ds[[nm]]
  design <- tapply(a$treatment, a$study, function(t) paste(sort(t), collapse = ":"))
  dd$design <- design[dd$study]
  qw <- 0; dfw <- 0; per <- list()
  for (g in unique(dd$design)) {
    idx <- which(dd$design == g)
    tg <- strsplit(g, ":")[[1]]
    Xg <- X[idx, intersect(cc$others, tg), drop = FALSE]
    if (length(unique(dd$study[idx])) < 2) next
    fg <- rma.mv(dd$yi[idx], V[idx, idx], mods = Xg, intercept = FALSE, method = "FE")
    qw <- qw + fg$QE; dfw <- dfw + fg$k - fg$p
    per[[g]] <- list(q = fg$QE, q_df = fg$k - fg$p)
  }
  fits$decomposition <- list(q_within = qw, q_within_df = dfw, q_between = fits$common$q - qw,
                             q_between_df = fits$common$q_df - dfw, designs = per)
  cases[[paste(nm, measure, sep = "_")]] <- list(data = nm, measure = measure, reference = ref, fits = fits)
}

out <- list(
  generated_by = "tests/r/network_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  datasets = ds,
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
cat("wrote", out_path, "\n")
