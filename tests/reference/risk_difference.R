#!/usr/bin/env Rscript
# Risk difference (experimental - control) with the Newcombe hybrid score 95% CI, and each arm's
# proportion with its Wilson score 95% CI, in base R, for dmc-report's tests
# (tests/unit/test_risk_difference.py).
#
#   Rscript tests/reference/risk_difference.R   # writes tests/reference/risk_difference.json
#
# The SAP names DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score") (Newcombe 1998, method
# 10). DescTools is not needed: its "score" branch is written out below as DescTools has it (its
# BinomCI "wilson" limits l, u of each arm, then est -/+ qnorm(0.975) * sqrt(l1 (1 - l1) / n1 +
# u2 (1 - u2) / n2) and sqrt(u1 (1 - u1) / n1 + l2 (1 - l2) / n2)). The script checks it against
# Newcombe's own form, est -/+ sqrt((p1 - l1)^2 + (u2 - p2)^2), with the Wilson limits of base R's
# prop.test(k, n, correct = FALSE) (the same interval: a Wilson limit l solves
# (p - l)^2 = qnorm(0.975)^2 l (1 - l) / n). The fixture holds Newcombe's form: where an arm is at
# 0/n or n/n, DescTools' Wilson limit is 1 - 1e-16 instead of 1 and its square root lifts the
# difference's limit to 1 + 6.5e-9 (10/10 vs 0/20); elsewhere the two agree to 2e-16.
# An arm with n = 0 has no proportion: NA (null).
suppressPackageStartupMessages(library(jsonlite))

kappa <- qnorm(0.975)

# DescTools::BinomCI(x, n, method = "wilson"), its formula
binomci_wilson <- function(x, n) {
  p <- x / n
  term1 <- (x + kappa^2 / 2) / (n + kappa^2)
  term2 <- kappa * sqrt(n) / (n + kappa^2) * sqrt(p * (1 - p) + kappa^2 / (4 * n))
  c(est = p, lwr = max(0, term1 - term2), upr = min(1, term1 + term2))
}

# DescTools::BinomDiffCI(x1, n1, x2, n2, method = "score"), its formula
binomdiff_score <- function(x1, n1, x2, n2) {
  est <- x1 / n1 - x2 / n2
  w1 <- binomci_wilson(x1, n1)
  w2 <- binomci_wilson(x2, n2)
  l1 <- w1[["lwr"]]; u1 <- w1[["upr"]]; l2 <- w2[["lwr"]]; u2 <- w2[["upr"]]
  lwr <- est - kappa * sqrt(l1 * (1 - l1) / n1 + u2 * (1 - u2) / n2)
  upr <- est + kappa * sqrt(u1 * (1 - u1) / n1 + l2 * (1 - l2) / n2)
  c(est = est, lwr = min(lwr, upr), upr = max(lwr, upr))
}

# base R's Wilson score interval (no continuity correction)
wilson <- function(k, n) {
  if (n == 0) return(c(est = NA_real_, lwr = NA_real_, upr = NA_real_))
  ci <- suppressWarnings(prop.test(k, n, correct = FALSE))$conf.int
  c(est = k / n, lwr = ci[1], upr = ci[2])
}

newcombe <- function(k1, n1, k2, n2) {
  if (n1 == 0 || n2 == 0) return(c(est = NA_real_, lwr = NA_real_, upr = NA_real_))
  a <- wilson(k1, n1); b <- wilson(k2, n2)
  d <- a[["est"]] - b[["est"]]
  c(est = d,
    lwr = d - sqrt((a[["est"]] - a[["lwr"]])^2 + (b[["upr"]] - b[["est"]])^2),
    upr = d + sqrt((a[["upr"]] - a[["est"]])^2 + (b[["est"]] - b[["lwr"]])^2))
}

cases <- list(
  list(name = "first study: 13/27 vs 3/28",          k_e = 13,  n_e = 27, k_c = 3,   n_c = 28),
  list(name = "reversed: 3/28 vs 13/27",             k_e = 3,   n_e = 28, k_c = 13,  n_c = 27),
  list(name = "Newcombe (a) 56/70 vs 48/80",         k_e = 56,  n_e = 70, k_c = 48,  n_c = 80),
  list(name = "Newcombe (b) 9/10 vs 3/10",           k_e = 9,   n_e = 10, k_c = 3,   n_c = 10),
  list(name = "Newcombe (c) 6/7 vs 2/7",             k_e = 6,   n_e = 7,  k_c = 2,   n_c = 7),
  list(name = "Newcombe (d) 5/56 vs 0/29",           k_e = 5,   n_e = 56, k_c = 0,   n_c = 29),
  list(name = "Newcombe (e) 0/10 vs 0/20",           k_e = 0,   n_e = 10, k_c = 0,   n_c = 20),
  list(name = "Newcombe (f) 0/10 vs 0/10",           k_e = 0,   n_e = 10, k_c = 0,   n_c = 10),
  list(name = "Newcombe (g) 10/10 vs 0/20",          k_e = 10,  n_e = 10, k_c = 0,   n_c = 20),
  list(name = "Newcombe (h) 10/10 vs 0/10",          k_e = 10,  n_e = 10, k_c = 0,   n_c = 10),
  list(name = "0/n vs k/n",                          k_e = 0,   n_e = 15, k_c = 4,   n_c = 15),
  list(name = "n/n vs k/n",                          k_e = 12,  n_e = 12, k_c = 7,   n_c = 13),
  list(name = "both all: n/n vs n/n",                k_e = 9,   n_e = 9,  k_c = 11,  n_c = 11),
  list(name = "both zero: 0/5 vs 0/5",               k_e = 0,   n_e = 5,  k_c = 0,   n_c = 5),
  list(name = "n/n vs 0/n",                          k_e = 4,   n_e = 4,  k_c = 0,   n_c = 6),
  list(name = "single subjects: 1/1 vs 0/1",         k_e = 1,   n_e = 1,  k_c = 0,   n_c = 1),
  list(name = "single subjects: 0/1 vs 1/1",         k_e = 0,   n_e = 1,  k_c = 1,   n_c = 1),
  list(name = "small: 1/2 vs 1/3",                   k_e = 1,   n_e = 2,  k_c = 1,   n_c = 3),
  list(name = "small: 2/3 vs 0/2",                   k_e = 2,   n_e = 3,  k_c = 0,   n_c = 2),
  list(name = "equal proportions 7/14 vs 7/14",      k_e = 7,   n_e = 14, k_c = 7,   n_c = 14),
  list(name = "large: 150/300 vs 120/310",           k_e = 150, n_e = 300, k_c = 120, n_c = 310),
  list(name = "no experimental subjects: 0/0 vs 3/10", k_e = 0, n_e = 0,  k_c = 3,   n_c = 10),
  list(name = "no control subjects: 4/12 vs 0/0",    k_e = 4,   n_e = 12, k_c = 0,   n_c = 0),
  list(name = "no subjects: 0/0 vs 0/0",             k_e = 0,   n_e = 0,  k_c = 0,   n_c = 0)
)

worst <- 0
out <- lapply(cases, function(x) {
  e <- wilson(x$k_e, x$n_e)
  c <- wilson(x$k_c, x$n_c)
  d <- newcombe(x$k_e, x$n_e, x$k_c, x$n_c)
  if (x$n_e > 0 && x$n_c > 0) {
    dt <- binomdiff_score(x$k_e, x$n_e, x$k_c, x$n_c)
    worst <<- max(worst, abs(dt - d))
    for (arm in list(list(x$k_e, x$n_e, e), list(x$k_c, x$n_c, c))) {
      worst <<- max(worst, abs(binomci_wilson(arm[[1]], arm[[2]]) - arm[[3]]))
    }
  }
  list(name = x$name, k_e = x$k_e, n_e = x$n_e, k_c = x$k_c, n_c = x$n_c,
       experimental = list(proportion = e[["est"]], ci_lower = e[["lwr"]], ci_upper = e[["upr"]]),
       control = list(proportion = c[["est"]], ci_lower = c[["lwr"]], ci_upper = c[["upr"]]),
       difference = list(estimate = d[["est"]], ci_lower = d[["lwr"]], ci_upper = d[["upr"]]))
})
stopifnot(worst < 1e-8)  # DescTools' score formula = Newcombe's form with prop.test's limits

res <- list(R = R.version.string,
            method = "Newcombe 1998 method 10 (DescTools::BinomDiffCI method = 'score'); Wilson from prop.test(correct = FALSE)",
            max_abs_descTools_vs_newcombe_form = worst,
            cases = out)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
file <- file.path(here, "risk_difference.json")
write(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file)
cat("wrote", file, "; DescTools formula vs Newcombe form: max abs difference", worst, "\n")
