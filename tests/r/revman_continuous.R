# Writes tests/data/revman/continuous.rm5 and tests/data/revman/continuous.csv: a RevMan 5 review (and its
# analysis CSV export) with continuous outcomes, whose computed values are RevMan 5's, calculated here from the
# published formulas (Deeks JJ, Higgins JPT. Statistical algorithms in Review Manager 5. The Cochrane
# Collaboration, 2010): inverse-variance fixed effect and DerSimonian-Laird random effects; MD with variance
# sd1^2/n1 + sd2^2/n2; SMD = Hedges' adjusted g with the approximate correction 1 - 3/(4N - 9) and variance
# N/(n1 n2) + g^2 / (2 (N - 3.94)); I^2 = (Q - df)/Q; subgroup differences by the Q between subgroup estimates.
# Written by hand in the minimal form of tests/data/revman/README.md, not RevMan's own file.
#
# Data: dat.normand1999 (metadat): length of hospital stay, specialist vs routine stroke care (9 studies).
# Run from the repository root:   Rscript tests/r/revman_continuous.R   (R 4.2.2, metadat from metafor 3.8-1)

suppressPackageStartupMessages(library(metadat))
if (!dir.exists("tests/data/revman")) stop("run from the repository root")
d <- dat.normand1999
d$sid <- gsub("[^A-Za-z]", "", d$source)
d$sub <- ifelse(grepl("Orpington|Edinburgh", d$source), 1, 2)
subnames <- c("Edinburgh and Orpington", "Other centres")
z975 <- qnorm(0.975)
f <- function(x) trimws(formatC(x, digits = 17, format = "g"))

effects <- function(x, measure) {
  N <- x$n1i + x$n2i
  if (measure == "MD") return(list(y = x$m1i - x$m2i, v = x$sd1i^2 / x$n1i + x$sd2i^2 / x$n2i))
  s <- sqrt(((x$n1i - 1) * x$sd1i^2 + (x$n2i - 1) * x$sd2i^2) / (N - 2))
  g <- (x$m1i - x$m2i) / s * (1 - 3 / (4 * N - 9))
  list(y = g, v = N / (x$n1i * x$n2i) + g^2 / (2 * (N - 3.94)))
}
analyse <- function(y, v, random) {
  w <- 1 / v; k <- length(y)
  fe <- sum(w * y) / sum(w); Q <- sum(w * (y - fe)^2); df <- k - 1
  tau2 <- if (random) max(0, (Q - df) / (sum(w) - sum(w^2) / sum(w))) else 0
  ws <- 1 / (v + tau2); est <- sum(ws * y) / sum(ws); se <- 1 / sqrt(sum(ws))
  list(est = est, se = se, lo = est - z975 * se, hi = est + z975 * se, Q = Q, df = df,
       pQ = pchisq(Q, df, lower.tail = FALSE), I2 = if (Q > df) 100 * (Q - df) / Q else 0, tau2 = tau2,
       z = abs(est / se), pz = 2 * pnorm(-abs(est / se)), weight = 100 * ws / sum(ws))
}
between <- function(fits) {
  b <- sapply(fits, `[[`, "est"); w <- 1 / sapply(fits, `[[`, "se")^2
  Q <- sum(w * (b - sum(w * b) / sum(w))^2); df <- length(b) - 1
  list(Q = Q, p = pchisq(Q, df, lower.tail = FALSE), I2 = if (Q > df) 100 * (Q - df) / Q else 0)
}
outcomes <- list(
  list(name = "Length of stay (MD, fixed)", measure = "MD", random = FALSE, subgroups = FALSE),
  list(name = "Length of stay (MD, random, by centre)", measure = "MD", random = TRUE, subgroups = TRUE),
  list(name = "Length of stay (SMD, fixed)", measure = "SMD", random = FALSE, subgroups = FALSE),
  list(name = "Length of stay (SMD, random)", measure = "SMD", random = TRUE, subgroups = FALSE))

xml <- c('<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
         '<!-- fmtrials test review: written by tests/r/revman_continuous.R (RevMan 5 formulas, Deeks & Higgins 2010) -->',
         '<COCHRANE_REVIEW REVMAN_SUB_VERSION="5.4.1" REVMAN_VERSION="5" TYPE="INTERVENTION">',
         '<STUDIES_AND_REFERENCES><STUDIES><INCLUDED_STUDIES>',
         sprintf('<STUDY DATA_SOURCE="PUB" ID="STD-%s" NAME="%s" YEAR="%d"/>', d$sid, d$source, 1990 + d$study),
         '</INCLUDED_STUDIES></STUDIES></STUDIES_AND_REFERENCES>',
         '<ANALYSES_AND_DATA CALCULATED_DATA="YES">', '<COMPARISON ID="CMP-001" NO="1">',
         '<NAME>Specialist versus routine care</NAME>')
hdr <- "Comparison Number,Outcome Number,Subgroup Number,Name,Data Type,Statistical Method,Effect Measure,Analysis Model,Events 1,Mean 1,SD 1,Total 1,Events 2,Mean 2,SD 2,Total 2,Effect Estimate,SE,CI Start,CI End,Weight,Q,P(Q),I²(Q),Tau²,Z,P(Z),Qint,P(Qint),I²(Qint),df,Group Label 1,Group Label 2,Left Graph Label,Right Graph Label,Year of study,User defined order"
csv <- c(hdr)
tot_attrs <- function(a, x) sprintf(
  'CHI2="%s" CI_END="%s" CI_START="%s" DF="%d" EFFECT_SIZE="%s" I2="%s" P_CHI2="%s" P_Z="%s" STUDIES="%d" TAU2="%s" TOTAL_1="%d" TOTAL_2="%d" Z="%s"',
  f(a$Q), f(a$hi), f(a$lo), a$df, f(a$est), f(a$I2), f(a$pQ), f(a$pz), nrow(x), f(a$tau2), sum(x$n1i), sum(x$n2i), f(a$z))
COLS <- strsplit(hdr, ",")[[1]]
row <- function(...) {  # one CSV record: the named fields set, the others empty
  v <- setNames(rep("", length(COLS)), COLS); a <- list(...)
  for (n in names(a)) v[[n]] <- as.character(a[[n]])
  q <- grepl("[,\"]", v); v[q] <- paste0('"', gsub('"', '""', v[q]), '"')
  paste(v, collapse = ",")
}
tot_fields <- function(a, x) list(`Total 1` = sum(x$n1i), `Total 2` = sum(x$n2i), `Effect Estimate` = f(a$est),
  SE = f(a$se), `CI Start` = f(a$lo), `CI End` = f(a$hi), Weight = 100, Q = f(a$Q), `P(Q)` = f(a$pQ),
  `I²(Q)` = f(a$I2), `Tau²` = f(a$tau2), Z = f(a$z), `P(Z)` = f(a$pz), df = a$df)
study_lines <- function(x, e, a, ono, sno) {
  lo <- e$y - z975 * sqrt(e$v); hi <- e$y + z975 * sqrt(e$v)
  list(xml = sprintf('<CONT_DATA CI_END="%s" CI_START="%s" EFFECT_SIZE="%s" MEAN_1="%s" MEAN_2="%s" ORDER="%d" SD_1="%s" SD_2="%s" STUDY_ID="STD-%s" TOTAL_1="%d" TOTAL_2="%d" WEIGHT="%s"/>',
                     f(hi), f(lo), f(e$y), f(x$m1i), f(x$m2i), seq_len(nrow(x)), f(x$sd1i), f(x$sd2i), x$sid, x$n1i, x$n2i, f(a$weight)),
       csv = sapply(seq_len(nrow(x)), function(j) row(`Comparison Number` = 1, `Outcome Number` = ono,
         `Subgroup Number` = sno, Name = x$source[j], `Mean 1` = f(x$m1i[j]), `SD 1` = f(x$sd1i[j]), `Total 1` = x$n1i[j],
         `Mean 2` = f(x$m2i[j]), `SD 2` = f(x$sd2i[j]), `Total 2` = x$n2i[j], `Effect Estimate` = f(e$y[j]),
         SE = f(sqrt(e$v[j])), `CI Start` = f(lo[j]), `CI End` = f(hi[j]), Weight = f(a$weight[j]),
         `Year of study` = 1990 + x$study[j])))
}
csv <- c(csv, row(`Comparison Number` = 1, `Outcome Number` = 0, `Subgroup Number` = 0,
                  Name = "Specialist versus routine care"))
for (i in seq_along(outcomes)) {
  o <- outcomes[[i]]
  e <- effects(d, o$measure); a <- analyse(e$y, e$v, o$random)
  head <- sprintf('<CONT_OUTCOME %s EFFECT_MEASURE="%s" ID="CMP-001.%02d" METHOD="IV" NO="%d" RANDOM="%s" SUBGROUPS="%s"',
                  tot_attrs(a, d), o$measure, i, i, if (o$random) "YES" else "NO", if (o$subgroups) "YES" else "NO")
  model <- if (o$random) "Random" else "Fixed"
  head_fields <- list(`Comparison Number` = 1, `Outcome Number` = i, `Subgroup Number` = 0, Name = o$name,
                      `Data Type` = "CON", `Statistical Method` = "IV", `Effect Measure` = o$measure,
                      `Analysis Model` = model, `Group Label 1` = "Specialist", `Group Label 2` = "Routine",
                      `Left Graph Label` = "Favours specialist", `Right Graph Label` = "Favours routine")
  if (!o$subgroups) {
    xml <- c(xml, paste0(head, ">"), sprintf("<NAME>%s</NAME>", o$name))
    s <- study_lines(d, e, a, i, 0)
    xml <- c(xml, s$xml, "</CONT_OUTCOME>")
    csv <- c(csv, do.call(row, c(head_fields, tot_fields(a, d))), s$csv)
  } else {
    fits <- lapply(1:2, function(g) { x <- d[d$sub == g, ]; ex <- effects(x, o$measure); analyse(ex$y, ex$v, o$random) })
    bt <- between(fits)
    xml <- c(xml, paste0(head, sprintf(' Q="%s" P_Q="%s" I2_Q="%s">', f(bt$Q), f(bt$p), f(bt$I2))), sprintf("<NAME>%s</NAME>", o$name))
    csv <- c(csv, do.call(row, c(head_fields, tot_fields(a, d), list(Qint = f(bt$Q), `P(Qint)` = f(bt$p), `I²(Qint)` = f(bt$I2)))))
    for (g in 1:2) {
      x <- d[d$sub == g, ]; ex <- effects(x, o$measure); ag <- fits[[g]]
      xml <- c(xml, sprintf('<CONT_SUBGROUP %s ID="CMP-001.%02d.%02d" NO="%d">', tot_attrs(ag, x), i, g, g),
               sprintf("<NAME>%s</NAME>", subnames[g]))
      s <- study_lines(x, ex, ag, i, g)
      xml <- c(xml, s$xml, "</CONT_SUBGROUP>")
      csv <- c(csv, do.call(row, c(list(`Comparison Number` = 1, `Outcome Number` = i, `Subgroup Number` = g,
                                        Name = subnames[g]), tot_fields(ag, x))), s$csv)
    }
    xml <- c(xml, "</CONT_OUTCOME>")
  }
}
xml <- c(xml, "</COMPARISON>", "</ANALYSES_AND_DATA>", "</COCHRANE_REVIEW>")
writeLines(xml, "tests/data/revman/continuous.rm5", useBytes = TRUE)
con <- file("tests/data/revman/continuous.csv", encoding = "UTF-8"); writeLines(csv, con); close(con)
cat("wrote tests/data/revman/continuous.rm5 and .csv\n")
