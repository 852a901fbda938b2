# Generates tests/data/mh_edge_reference.json: R metafor rma.mh reference values for the Mantel-Haenszel edge
# cases of issue 22 item 8 (tables with all events in both arms, tables without events, risk differences).
#
# Run from the repository root:   Rscript tests/r/mh_edge_reference.R
# Written with R 4.2.2 and metafor 3.8-1 (Debian packages r-base-core, r-cran-metafor; dat.bcg from metadat).
# CI does not run this script: the JSON it writes is committed and tests/test_meta_mh_edge.py compares against it.
#
# Every call uses rma.mh's defaults: add = c(1/2, 0), to = c("only0", "none"), drop00 = c(TRUE, FALSE), i.e. a
# double-zero table (no events in both arms, or all events in both arms) has no per-study effect (escalc
# drop00 = TRUE: left out of Q and its df, k.yi) but stays in the Mantel-Haenszel sums (k) with its raw counts.
# rma.mh is not iterative: no convergence controls are involved.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "mh_edge_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/mh_edge_reference.R")

bcg <- dat.bcg
base <- data.frame(study = paste(bcg$author, bcg$year), events_t = bcg$tpos, n_t = bcg$tpos + bcg$tneg,
                   events_c = bcg$cpos, n_c = bcg$cpos + bcg$cneg, stringsAsFactors = FALSE)
tab <- function(study, events_t, n_t, events_c, n_c)
  data.frame(study = study, events_t = events_t, n_t = n_t, events_c = events_c, n_c = n_c, stringsAsFactors = FALSE)
nw <- dat.nielweise2007   # one table without events in either arm (Yucel 2004)
yu <- dat.yusuf1985       # table 6: three tables without events in either arm
yu <- yu[yu$table == "6" & !is.na(yu$ai), ]
ds <- list(
  nielweise2007 = tab(paste(nw$author, nw$year), nw$ai, nw$n1i, nw$ci, nw$n2i),
  yusuf1985_t6 = tab(paste(yu$id, yu$trial), yu$ai, yu$n1i, yu$ci, yu$n2i),
  # dat.bcg plus one table with all events in both arms (issue 22: metafor -0.4451 with k = 14)
  bcg_all_events = rbind(base, tab("All events", 20, 20, 30, 30)),
  # dat.bcg plus one table without events in either arm
  bcg_no_events = rbind(base, tab("No events", 0, 20, 0, 30)),
  # dat.bcg plus both kinds and a second all-event table
  bcg_both = rbind(base, tab(c("All events", "No events", "All events 2"), c(20, 0, 7), c(20, 20, 7),
                             c(30, 0, 9), c(30, 30, 9))),
  # a set of only all-event tables (metafor: log RR 0, RD 0)
  only_all_events = tab(c("A", "B", "C"), c(20, 15, 8), c(20, 15, 8), c(30, 10, 12), c(30, 10, 12)),
  # only tables without events (RD 0)
  only_no_events = tab(c("A", "B"), c(0, 0), c(20, 15), c(0, 0), c(30, 10))
)

num <- function(x) { x <- as.numeric(x); if (length(x) == 0) return(NA); x[!is.finite(x)] <- NA; x }
cases <- list()
for (dname in names(ds)) for (measure in c("RR", "OR", "RD")) {
  d <- ds[[dname]]
  call <- sprintf('rma.mh(measure="%s", ai=events_t, n1i=n_t, ci=events_c, n2i=n_c, data=d, slab=study)', measure)
  res <- tryCatch(suppressWarnings(eval(parse(text = call))), error = function(e) e)
  if (inherits(res, "error")) {
    cases[[length(cases) + 1L]] <- list(data = dname, measure = measure, call = call, error = conditionMessage(res))
    next
  }
  w <- suppressWarnings(weights(res))
  cases[[length(cases) + 1L]] <- list(
    data = dname, measure = measure, call = call,
    beta = num(res$beta), se = num(res$se), ci_low = num(res$ci.lb), ci_high = num(res$ci.ub),
    zval = num(res$zval), pval = num(res$pval),
    QE = num(res$QE), QEp = num(res$QEp), I2 = num(res$I2), k = res$k, k_yi = res$k.yi,
    weights = num(w), yi = num(res$yi.f)
  )
}
out <- list(
  generated_by = "tests/r/mh_edge_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  defaults = "rma.mh(add = c(1/2, 0), to = c('only0', 'none'), drop00 = c(TRUE, FALSE)) (metafor's defaults)",
  data = ds,
  cases = cases
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE), out_path)
cat("wrote", out_path, "with", length(cases), "cases\n")
