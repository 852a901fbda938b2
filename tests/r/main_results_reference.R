# Generates tests/data/main_results_reference.json: R metafor reference values for the pooled rows of the
# report's first section (fmtrials.analysis.headline.pooled_numbers): the pooled risk difference and risk ratio of
# nausea and of PGIC responders, REML random effects with the Hartung-Knapp-Sidik-Jonkman interval and its
# ad hoc truncation (metafor test = "adhoc"), all doses together.
#
# Run from the repository root:   Rscript tests/r/main_results_reference.R
# Needs R with metafor (>= 3.8) and jsonlite. The JSON is committed; tests/test_report_main.py compares.
#
# Counts typed in literally:
#   nausea: Mease 2009 (Table 5) 73/224 and 177/441 against its one placebo arm 47/223, split between the two
#           comparisons as fmtrials does (Cochrane Handbook v6 23.3.4: events 24 + 23, n 112 + 111);
#           Arnold 2010 189/516 vs 106/509 and Bateman 2013 18/85 vs 6/21 (Cochrane 2015 Table 4).
#   pgic:   Arnold 2010 216/516 vs 132/509 (secondary source ESC; counts under the assumed denominators) and
#           Bateman 2013 26/79 vs 5/21 (derived, BAT-conf).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
out_path <- file.path("tests", "data", "main_results_reference.json")
if (!dir.exists(dirname(out_path))) stop("run from the repository root: Rscript tests/r/main_results_reference.R")

tables <- list(
  nausea = data.frame(ai = c(73, 177, 189, 18), n1i = c(224, 441, 516, 85),
                      ci = c(24, 23, 106, 6), n2i = c(112, 111, 509, 21)),
  pgic = data.frame(ai = c(216, 26), n1i = c(516, 79), ci = c(132, 5), n2i = c(509, 21))
)
ctrl <- "list(threshold = 1e-12, maxiter = 1000, stepadj = 0.5)"
cases <- list()
for (ep in names(tables)) {
  for (m in c("RD", "RR")) {
    call <- sprintf(paste0("rma(measure = \"%s\", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = tables$%s, ",
                           "method = \"REML\", test = \"adhoc\", control = %s)"), m, ep, ctrl)
    fit <- eval(parse(text = call))
    cases[[length(cases) + 1]] <- list(endpoint = ep, measure = m, call = call,
                                       estimate = as.numeric(fit$beta), ci_low = fit$ci.lb, ci_high = fit$ci.ub,
                                       p_value = fit$pval, tau2 = fit$tau2, k = fit$k)
  }
}
doc <- list(generator = "tests/r/main_results_reference.R", r_version = R.version.string,
            metafor_version = as.character(packageVersion("metafor")),
            jsonlite_version = as.character(packageVersion("jsonlite")), cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_path)
