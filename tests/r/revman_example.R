# Computed values written into fmtrials' small RevMan example files (src/fmtrials/revman/examples/ and
# tests/data/revman/example.*): the totals a RevMan 5 review stores next to its counts, computed here by
# R metafor so the example's "RevMan values" come from outside fmtrials.
# Run: Rscript tests/r/revman_example.R   (R 4.x, metafor 3.8-1)
suppressMessages(library(metafor))
cat("R", R.version$major, ".", R.version$minor, " metafor ", as.character(packageVersion("metafor")), "\n", sep = "")
d <- data.frame(study = c("Alpha-1", "Beta", "Gamma"), ai = c(12, 30, 4), n1i = c(50, 120, 40),
                ci = c(20, 41, 9), n2i = c(50, 118, 42))
es <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
ci <- summary(es)
m <- rma.mh(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d)
w <- weights(m)
options(digits = 17)
for (i in 1:3) cat(d$study[i], exp(es$yi[i]), exp(ci$ci.lb[i]), exp(ci$ci.ub[i]), w[i], "\n")
cat("OR", exp(m$beta), "CI", exp(m$ci.lb), exp(m$ci.ub), "Q", m$QE, "df", m$k - 1, "pQ", m$QEp, "I2", m$I2,
    "z", abs(m$zval), "p", m$pval, "\n")
