#!/usr/bin/env Rscript
# The final analysis's boundary from rpact, for dmc-report's tests (tests/unit/test_monitoring.py).
#
#   Rscript tests/reference/monitoring_final.R   # writes tests/reference/monitoring_final.json
#
# At the final analysis the current look is the last: the earlier looks at the information
# fractions recorded when they were taken, then the final look at information fraction 1 whatever
# the number of evaluable subjects (an over- or under-running final analysis is, as in rpact, the
# final stage at informationRates = 1), spending all the alpha left. The earlier looks' critical
# values are those they had when taken (they depend on the earlier fractions only); the last
# critical value is the final boundary. Two-sided designs at alpha 0.05 as in monitoring.R, and a
# one-sided design at alpha 0.025.
suppressPackageStartupMessages({library(rpact); library(jsonlite)})

designs <- list(
  list(name = "OF final after 0.33 and 0.5",     type = "asOF",  rates = c(0.33, 0.5, 1)),
  list(name = "OF final after 0.5",              type = "asOF",  rates = c(0.5, 1)),
  list(name = "OF final after 0.67 (shared)",    type = "asOF",  rates = c(0.67, 1)),
  list(name = "OF final after 0.2, 0.45, 0.8",   type = "asOF",  rates = c(0.2, 0.45, 0.8, 1)),
  list(name = "OF final after 0.95",             type = "asOF",  rates = c(0.95, 1)),
  list(name = "OF final after 1/60 and 0.5",     type = "asOF",  rates = c(1/60, 0.5, 1)),
  list(name = "final only (no earlier look)",    type = "asOF",  rates = c(1)),
  list(name = "Pocock final after 0.3 and 0.6",  type = "asP",   rates = c(0.3, 0.6, 1)),
  list(name = "HSD gamma -4 final after 0.4",    type = "asHSD", rates = c(0.4, 1), gamma = -4),
  list(name = "HSD gamma 1 final after 0.25, 0.5", type = "asHSD", rates = c(0.25, 0.5, 1), gamma = 1),
  list(name = "OF one-sided final after 0.33 and 0.5", type = "asOF", rates = c(0.33, 0.5, 1),
       alpha = 0.025, sided = 1)
)
finite <- function(x) ifelse(is.finite(x), x, NA)
out <- lapply(designs, function(d) {
  alpha <- if (is.null(d$alpha)) 0.05 else d$alpha
  sided <- if (is.null(d$sided)) 2 else d$sided
  args <- list(kMax = length(d$rates), alpha = alpha, sided = sided, typeOfDesign = d$type)
  if (length(d$rates) > 1) args$informationRates <- d$rates
  if (!is.null(d$gamma)) args$gammaA <- d$gamma
  g <- do.call(getDesignGroupSequential, args)
  list(name = d$name, type = d$type, gamma = if (is.null(d$gamma)) NULL else d$gamma,
       alpha = alpha, sided = sided, rates = I(d$rates), critical = I(finite(g$criticalValues)),
       alpha_spent = I(g$alphaSpent), final_critical = g$criticalValues[length(d$rates)],
       final_alpha_spent = g$alphaSpent[length(d$rates)])
})
res <- list(rpact = as.character(packageVersion("rpact")), R = R.version.string, designs = out)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
file <- file.path(here, "monitoring_final.json")
write(toJSON(res, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), file)
cat("wrote", file, "\n")
