#!/usr/bin/env Rscript
# Group-sequential boundaries from rpact, and conditional power by the Lan & Wittes formula,
# for dmc-report's tests (tests/unit/test_monitoring.py).
#
#   Rscript tests/reference/monitoring.R     # writes tests/fixtures/monitoring/expected.json
#                                            # and tests/fixtures/monitoring/small-fractions.json
suppressPackageStartupMessages({library(rpact); library(jsonlite)})

designs <- list(
  list(name = "OF 2 looks",                  type = "asOF",  rates = c(0.5, 1)),
  list(name = "OF 3 looks equal",            type = "asOF",  rates = c(1/3, 2/3, 1)),
  list(name = "OF 4 looks unequal",          type = "asOF",  rates = c(0.2, 0.45, 0.8, 1)),
  list(name = "OF 5 looks",                  type = "asOF",  rates = c(0.2, 0.4, 0.6, 0.8, 1)),
  list(name = "OF look later than planned",  type = "asOF",  rates = c(0.5, 0.83, 1)),
  list(name = "Pocock 2 looks",              type = "asP",   rates = c(0.5, 1)),
  list(name = "Pocock 3 looks unequal",      type = "asP",   rates = c(0.3, 0.7, 1)),
  list(name = "Pocock 5 looks",              type = "asP",   rates = c(0.2, 0.4, 0.6, 0.8, 1)),
  list(name = "HSD gamma -4, 3 looks",       type = "asHSD", rates = c(0.35, 0.7, 1), gamma = -4),
  list(name = "HSD gamma 1, 4 looks",        type = "asHSD", rates = c(0.25, 0.5, 0.75, 1), gamma = 1),
  list(name = "HSD gamma -2, 2 looks late",  type = "asHSD", rates = c(0.67, 1), gamma = -2)
)
out <- lapply(designs, function(d) {
  args <- list(kMax = length(d$rates), alpha = 0.05, sided = 2, typeOfDesign = d$type,
               informationRates = d$rates)
  if (!is.null(d$gamma)) args$gammaA <- d$gamma
  g <- do.call(getDesignGroupSequential, args)
  list(name = d$name, type = d$type, gamma = if (is.null(d$gamma)) NULL else d$gamma,
       rates = d$rates, critical = g$criticalValues, alpha_spent = g$alphaSpent,
       nominal_p = 2 * (1 - pnorm(g$criticalValues)))
})
cp <- function(z, t, c, theta) 1 - pnorm((c - z * sqrt(t) - theta * (1 - t)) / sqrt(1 - t))
cps <- list(
  list(z = 1.73, t = 0.57, c = 1.99355680495501, theta = 1.73 / sqrt(0.57)),
  list(z = 1.73, t = 0.57, c = 1.99355680495501, theta = 0),
  list(z = 1.73, t = 0.57, c = 1.99355680495501, theta = 2.8),
  list(z = -0.4, t = 0.3, c = 2.0, theta = -0.4 / sqrt(0.3)),
  list(z = 2.9, t = 0.8, c = 2.02, theta = 2.9 / sqrt(0.8))
)
cps <- lapply(cps, function(x) c(x, list(cp = cp(x$z, x$t, x$c, x$theta))))
res <- list(rpact = as.character(packageVersion("rpact")), R = R.version.string,
            designs = out, conditional_power = cps)
fixtures <- file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
                      "..", "fixtures", "monitoring")
file <- file.path(fixtures, "expected.json")
write(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", pretty = TRUE), file)
cat("wrote", file, "\n")

# Early looks at small information fractions (an interim look with 1-7 of 60 evaluable subjects).
# rpact reports a critical value of 7.5 or more as Inf (written here as null); its alpha spent
# at such a look is rounded to about 1e-15. The later looks are compared to 1e-6.
small <- list(
  list(name = "OF 1/60",                     type = "asOF",  rates = c(1/60, 1)),
  list(name = "OF 2/60",                     type = "asOF",  rates = c(2/60, 1)),
  list(name = "OF 7/60",                     type = "asOF",  rates = c(7/60, 1)),
  list(name = "OF 1/60 then 0.5",            type = "asOF",  rates = c(1/60, 0.5, 1)),
  list(name = "OF 1/60 then 2/60",           type = "asOF",  rates = c(1/60, 2/60, 1)),
  list(name = "OF 0.08 then 0.5",            type = "asOF",  rates = c(0.08, 0.5, 1)),
  list(name = "OF 0.1 then 0.5",             type = "asOF",  rates = c(0.1, 0.5, 1)),
  list(name = "OF 0.12 then 0.4667",         type = "asOF",  rates = c(0.12, 0.4667, 1)),
  list(name = "OF 0.003 (nothing to spend)", type = "asOF",  rates = c(0.003, 1)),
  list(name = "OF 0.001 then 0.5",           type = "asOF",  rates = c(0.001, 0.5, 1)),
  list(name = "Pocock 0.01",                 type = "asP",   rates = c(0.01, 1)),
  list(name = "Pocock 1/60 then 0.5",        type = "asP",   rates = c(1/60, 0.5, 1)),
  list(name = "HSD gamma -4, 0.01 then 0.5", type = "asHSD", rates = c(0.01, 0.5, 1), gamma = -4),
  list(name = "HSD gamma 1, 0.005",          type = "asHSD", rates = c(0.005, 1), gamma = 1)
)
finite <- function(x) ifelse(is.finite(x), x, NA)
out_small <- lapply(small, function(d) {
  args <- list(kMax = length(d$rates), alpha = 0.05, sided = 2, typeOfDesign = d$type,
               informationRates = d$rates)
  if (!is.null(d$gamma)) args$gammaA <- d$gamma
  g <- do.call(getDesignGroupSequential, args)
  list(name = d$name, type = d$type, gamma = if (is.null(d$gamma)) NULL else d$gamma,
       rates = d$rates, critical = finite(g$criticalValues), alpha_spent = g$alphaSpent)
})
file <- file.path(fixtures, "small-fractions.json")
write(toJSON(list(rpact = as.character(packageVersion("rpact")), R = R.version.string,
                  designs = out_small),
             auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file)
cat("wrote", file, "\n")
