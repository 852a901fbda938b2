# Reference values for fmtrials.effects.power.normal_sample_size: R power.prop.test (stats), strict = FALSE.
# Writes tests/data/power_reference.json. Run: Rscript tests/r/power_reference.R (from the repository root).
cases <- list(
  list(p_t = 0.254, p_c = 0.155, power = 0.8, alpha = 0.05, alternative = "two.sided"),
  list(p_t = 0.254, p_c = 0.155, power = 0.9, alpha = 0.05, alternative = "one.sided"),
  list(p_t = 0.7, p_c = 0.2, power = 0.8, alpha = 0.05, alternative = "two.sided"),
  list(p_t = 0.3, p_c = 0.45, power = 0.85, alpha = 0.01, alternative = "two.sided")
)
out <- lapply(cases, function(c) {
  r <- power.prop.test(p1 = c$p_t, p2 = c$p_c, power = c$power, sig.level = c$alpha,
                       alternative = c$alternative, strict = FALSE, tol = 1e-12)
  c$n <- r$n
  c$call <- sprintf("power.prop.test(p1 = %g, p2 = %g, power = %g, sig.level = %g, alternative = '%s', strict = FALSE, tol = 1e-12)",
                    c$p_t, c$p_c, c$power, c$alpha, c$alternative)
  c
})
res <- list(r_version = R.version.string, cases = out)
json <- function(x) {
  if (is.list(x) && !is.null(names(x))) {
    paste0("{", paste(sprintf('"%s": %s', names(x), vapply(x, json, "")), collapse = ", "), "}")
  } else if (is.list(x)) {
    paste0("[", paste(vapply(x, json, ""), collapse = ",\n "), "]")
  } else if (is.character(x)) {
    sprintf('"%s"', gsub('"', '\\\\"', x))
  } else {
    formatC(x, digits = 17, format = "g")
  }
}
writeLines(json(res), "tests/data/power_reference.json")
