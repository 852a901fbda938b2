# Generates tests/data/netreport_reference.json: R metafor reference values for the report section "How does
# milnacipran compare with duloxetine and pregabalin?" (the bundled comparator network, >=30% pain response).
#
# Run from the repository root:   Rscript tests/r/netreport_reference.R
# Written with R 4.2.x and metafor 3.8-1 (Debian r-cran-metafor). The network model as in network_reference.R:
#   rma.mv(yi, V, mods = X, intercept = FALSE, random = ~ comp | study, struct = "CS", rho = 1/2)   (REML)
#   rma.mv(yi, V, mods = X, intercept = FALSE, method = "FE")                                      (common)
# Data: src/fmtrials/datasets/comparator_arms.csv, rows with endpoint pain_30 and events and n; and the synthetic
# tests/data/netreport_comparators.csv (level "user").
# Nodes per dose: "placebo" or "<treatment> <dose_mg_day>"; per drug: each trial's arms of one drug summed
# (events and n) against its placebo arm. yi: each study's contrasts of every arm against its first arm (file
# order); V: their within-study covariance (the first arm's variance off the diagonal). No zero cells here.
# P-scores (Ruecker & Schwarzer 2015): mean over j != i of pnorm((b_i - b_j) / se(b_i - b_j)), larger = better.
# Design-by-treatment decomposition (common effect): Q_within = sum over designs with >= 2 studies of the QE of
# a common-effect rma.mv on that design's studies; Q_between = Q - Q_within.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "netreport_reference.json")
in_path <- file.path("src", "fmtrials", "datasets", "comparator_arms.csv")
if (!file.exists(in_path)) stop("run from the repository root: Rscript tests/r/netreport_reference.R")

raw <- read.csv(in_path, stringsAsFactors = FALSE, na.strings = "")
a <- raw[raw$endpoint == "pain_30" & !is.na(raw$events) & !is.na(raw$n), ]
dose_nodes <- data.frame(study = a$study, events = a$events, n = a$n,
                         treatment = ifelse(a$treatment == "placebo", "placebo",
                                            paste(a$treatment, a$dose_mg_day)))
key <- paste(a$study, a$treatment, sep = "\r")
drug_nodes <- do.call(rbind, lapply(unique(key), function(k) {
  i <- which(key == k)
  data.frame(study = a$study[i[1]], treatment = a$treatment[i[1]], events = sum(a$events[i]), n = sum(a$n[i]))
}))
# a synthetic user file (tests/data/netreport_comparators.csv: no Vitton2004, one placebo count changed) whose
# REML tau^2 is positive, per dose
u <- read.csv(file.path("tests", "data", "netreport_comparators.csv"), stringsAsFactors = FALSE, na.strings = "")
u <- u[u$endpoint == "pain_30" & !is.na(u$events) & !is.na(u$n), ]
user_nodes <- data.frame(study = u$study, events = u$events, n = u$n,
                         treatment = ifelse(u$treatment == "placebo", "placebo", paste(u$treatment, u$dose_mg_day)))
ds <- list(dose = dose_nodes, drug = drug_nodes, user = user_nodes)

contrasts_of <- function(a, measure, ref) {
  studies <- unique(a$study)
  trts <- sort(unique(a$treatment))
  others <- setdiff(trts, ref)
  rows <- list(); Vblocks <- list()
  for (s in studies) {
    b <- a[a$study == s, ]
    x <- b$events; n <- b$n
    if (any(x == 0 | x == n)) stop("zero cell: not expected in this network")
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
  list(dat = do.call(rbind, rows), V = as.matrix(Matrix::bdiag(Vblocks)), others = others, trts = trts)
}

pscores <- function(b, vb, ref) {
  th <- setNames(c(0, b), c(ref, names(b)))
  full <- matrix(0, length(th), length(th), dimnames = list(names(th), names(th)))
  full[names(b), names(b)] <- vb
  as.list(sapply(names(th), function(i) mean(sapply(setdiff(names(th), i), function(j) {
    pnorm((th[i] - th[j]) / sqrt(full[i, i] + full[j, j] - 2 * full[i, j]))
  }))))
}

calls <- list(
  common = "rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, method = 'FE')",
  REML = paste0("rma.mv(yi, V, mods = X, intercept = FALSE, data = dd, random = ~ comp | study, struct = 'CS', ",
                "rho = 1/2, method = 'REML', control = list(optimizer = 'nlminb', optCtrl = list(rel.tol = 1e-14, ",
                "x.tol = 1e-14, eval.max = 1000, iter.max = 1000)))"))
cases <- list()
for (level in names(ds)) for (measure in c("RR", "OR", "RD")) {
  cc <- contrasts_of(ds[[level]], measure, "placebo")
  dd <- cc$dat; V <- cc$V
  X <- as.matrix(dd[, cc$others, drop = FALSE])
  fits <- list()
  for (m in names(calls)) {
    f <- eval(parse(text = calls[[m]]))
    b <- setNames(as.vector(coef(f)), cc$others)
    vb <- vcov(f); dimnames(vb) <- list(cc$others, cc$others)
    fits[[m]] <- list(call = calls[[m]], treatment = cc$others, estimate = unname(b), vcov = unname(vb),
                      tau2 = if (m == "common") 0 else f$tau2, q = f$QE, q_df = f$k - f$p,
                      p_scores = pscores(b, vb, "placebo"))
  }
  src <- ds[[level]]
  design <- tapply(src$treatment, src$study, function(t) paste(sort(t), collapse = ":"))
  dd$design <- design[dd$study]
  qw <- 0; dfw <- 0
  for (g in unique(dd$design)) {
    idx <- which(dd$design == g)
    if (length(unique(dd$study[idx])) < 2) next
    Xg <- X[idx, intersect(cc$others, strsplit(g, ":")[[1]]), drop = FALSE]
    fg <- rma.mv(dd$yi[idx], V[idx, idx], mods = Xg, intercept = FALSE, method = "FE")
    qw <- qw + fg$QE; dfw <- dfw + fg$k - fg$p
  }
  fits$decomposition <- list(q_within = qw, q_within_df = dfw, q_between = fits$common$q - qw,
                             q_between_df = fits$common$q_df - dfw,
                             q_between_p = if (fits$common$q_df - dfw > 0)
                               pchisq(fits$common$q - qw, fits$common$q_df - dfw, lower.tail = FALSE) else NA)
  cases[[paste(level, measure, sep = "_")]] <- list(level = level, measure = measure, reference = "placebo",
                                                    fits = fits)
}

writeLines(toJSON(list(
  generated_by = "tests/r/netreport_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  input = in_path,
  arms = ds,
  cases = cases
), auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), out_path)
cat("wrote", out_path, "\n")
