#!/usr/bin/env Rscript
# Independent derivation of the study-level interim monitoring block (dmc-sap.md "Interim
# monitoring"; docs/analysis.md "Interim monitoring") for dmc-report's tests, with rpact.
#
#   Rscript tests/reference/monitoring_study.R        # every case (after derive.R)
#
# Reads each case's expected.json (derive.R's abstinence counts by arm, from the workbooks) and
# the interim plan in its case.json, and writes monitoring.json beside it:
# - information = evaluable subjects with a known arm; fraction = information / planned;
# - observed Z = the pooled two-proportion Z, experimental - control: the signed square root of
#   prop.test's uncorrected chi-square;
# - looks: the protocol's earlier looks dated before the cutoff below the current fraction, the
#   current look, the final look at 1; boundaries, cumulative alpha spent and nominal levels from
#   rpact::getDesignGroupSequential (asOF, asP, asHSD);
# - conditional power from rpact::getConditionalPower on the stage results of a dataset whose
#   cumulative Z at the current look is the observed Z (one-sample normal means, standard
#   deviation 1, planned information N: the B-value model), under the current trend, the design
#   alternative (the expected final Z for the assumed proportions, subjects split equally) and
#   the null;
# - more than one experimental arm: null (a multi-arm boundary needs a multiplicity adjustment).
suppressPackageStartupMessages({
  library(jsonlite)
  library(rpact)
})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(here, "read.R"))

TYPES <- c(OBF = "asOF", POCOCK = "asP", HSD = "asHSD")

design_of <- function(plan, rates) {
  args <- list(kMax = length(rates), alpha = plan$alpha, sided = plan$sided,
               typeOfDesign = TYPES[[plan$spending]], informationRates = rates)
  if (plan$spending == "HSD") args$gammaA <- plan$gamma
  if (length(rates) == 1) args$informationRates <- NULL
  do.call(getDesignGroupSequential, args)
}

# rpact's conditional power at the last stage of `rates` but one, for drift theta (the expected
# final Z), with the observed Z at information fraction t
rpact_cp <- function(design, z_now, t, N, theta) {
  # on a finer scale of information (the power depends on Z, t and theta only): rpact takes
  # whole sample sizes, and an earlier look's recorded fraction times N need not be whole
  N <- N * 10000
  k <- length(design$informationRates) - 1
  n <- round(design$informationRates[1:k] * N)
  # one-sample means with SD 1: the cumulative Z at stage j is mean_j * sqrt(n_j); earlier
  # stages are placed on the same path (a group-sequential CP depends on the current Z only)
  means <- z_now / sqrt(n[k]) * rep(1, k)
  data <- getDataset(overallN = n, overallMeans = means, overallStDevs = rep(1, k))
  sr <- getStageResults(design, dataInput = data, stage = k, normalApproximation = TRUE)
  cp <- getConditionalPower(sr, nPlanned = N - n[k], thetaH1 = theta / sqrt(N), assumedStDev = 1)
  unname(cp$conditionalPower[k + 1])
}

one_case <- function(folder) {
  case <- fromJSON(file.path(folder, "case.json"), simplifyVector = FALSE)
  plan <- case$study$interim
  if (is.null(plan)) {
    write_json_file(list(blinded = NULL, unblinded = NULL), file.path(folder, "monitoring.json"))
    return(invisible())
  }
  expected <- fromJSON(file.path(folder, "expected.json"), simplifyVector = FALSE)
  C <- as.Date(case$cutoff)
  u <- expected$unblinded
  by <- u$abstinence$by_arm
  info <- sum(vapply(by, function(b) as.numeric(b$evaluable), 0))
  N <- plan$planned_information
  t <- info / N
  blinded <- list(information = info, planned_information = N, information_fraction = t)
  exps <- Filter(function(a) a$role == "experimental", u$arms)
  ctl <- Filter(function(a) a$role == "control", u$arms)[[1]]$code
  if (length(exps) != 1) {
    write_json_file(list(blinded = blinded, unblinded = NULL), file.path(folder, "monitoring.json"))
    return(invisible())
  }
  if (info == 0) {  # no look to take: no boundary, no statistic
    unblinded <- list(
      endpoint = plan$endpoint, spending = plan$spending, gamma = plan$gamma, alpha = plan$alpha,
      sided = plan$sided, planned_information = N, information = info, information_fraction = t,
      observed_z = NULL, looks = list(), current_look = NULL, crossed = NULL,
      conditional_power = list(current_trend = NULL, design = NULL, null = NULL))
    write_json_file(list(blinded = blinded, unblinded = unblinded), file.path(folder, "monitoring.json"))
    return(invisible())
  }
  exper <- exps[[1]]$code
  ke <- by[[exper]]$abstinent
  ne <- by[[exper]]$evaluable
  kc <- by[[ctl]]$abstinent
  nc <- by[[ctl]]$evaluable
  chi <- suppressWarnings(prop.test(c(ke, kc), c(ne, nc), correct = FALSE)$statistic)
  z <- unname(sign(ke / ne - kc / nc) * sqrt(chi))
  if (!is.finite(z)) z <- NULL  # an arm without evaluable subjects, or no variation at all

  prev <- Filter(function(p) as.Date(p$date) < C && p$information_fraction < t, plan$previous_looks)
  prev_t <- vapply(prev, function(p) p$information_fraction, 0)
  rates <- c(prev_t, t, 1)
  d <- design_of(plan, rates)
  K <- length(rates)
  cum <- d$alphaSpent
  crit <- d$criticalValues
  lev <- plan$sided * d$stageLevels
  # rpact gives no critical value (NA) at a look so early that its boundary is beyond its
  # search range (about 8), and its alpha spent there is 1 - pnorm(...), which has lost every
  # digit by then. At a first look the boundary is by definition the normal quantile of the
  # alpha spent there: the Lan-DeMets O'Brien-Fleming-type spending (rpact's asOF) from the upper
  # normal tail, two-sided 4 (1 - Phi(z_{1 - alpha/4} / sqrt(t))), one-sided 2 (1 - Phi(z_{1 -
  # alpha/2} / sqrt(t))).
  if (!is.finite(crit[1]) && plan$spending == "OBF") {
    a <- plan$alpha / plan$sided
    cum[1] <- plan$sided * 2 * pnorm(qnorm(1 - a / 2) / sqrt(rates[1]), lower.tail = FALSE)
    crit[1] <- qnorm(cum[1] / plan$sided, lower.tail = FALSE)
    lev[1] <- cum[1]
  }
  looks <- lapply(seq_len(K), function(i) {
    kind <- if (i <= length(prev)) "previous" else if (i == K) "final" else "current"
    look <- list(information = rates[i], z_upper = crit[i],
                 z_lower = if (plan$sided == 2) -crit[i] else NULL,
                 alpha_spent_cumulative = cum[i],
                 alpha_spent_incremental = cum[i] - if (i > 1) cum[i - 1] else 0,
                 nominal_p = lev[i], kind = kind)
    if (kind == "previous") look["observed_z"] <- list(prev[[i]]$observed_z)
    look
  })
  cur <- length(prev) + 1
  c_now <- crit[cur]
  crossed <- if (is.null(z)) NULL else if (z >= c_now) "efficacy"
             else if (plan$sided == 2 && z <= -c_now) "harm" else NULL
  pa <- plan$assumed_experimental
  pc <- plan$assumed_control
  theta <- NULL
  if (!is.null(pa) && !is.null(pc)) {
    # the expected final Z: prop.test's Z for the assumed proportions at N/2 per arm
    pool <- (pa + pc) / 2
    theta <- (pa - pc) / sqrt(pool * (1 - pool) * (4 / N))
  }
  unblinded <- list(
    endpoint = plan$endpoint, spending = plan$spending, gamma = plan$gamma, alpha = plan$alpha,
    sided = plan$sided, planned_information = N, information = info, information_fraction = t,
    observed_z = z, looks = looks, current_look = cur, crossed = crossed,  # looks numbered from 1
    conditional_power = if (is.null(z)) list(current_trend = NULL, design = NULL, null = NULL)
      else list(current_trend = rpact_cp(d, z, t, N, z / sqrt(t)),
                design = if (is.null(theta)) NULL else rpact_cp(d, z, t, N, theta),
                null = rpact_cp(d, z, t, N, 0)))
  if (!is.null(z)) unblinded["design_theta"] <- list(theta)  # beside the conditional power
  if (!is.null(plan$futility_z) && !is.null(z)) {
    unblinded$futility_guidance <- list(z = plan$futility_z, below = z < plan$futility_z, binding = FALSE)
  }
  write_json_file(list(blinded = blinded, unblinded = unblinded, rpact = as.character(packageVersion("rpact"))),
                  file.path(folder, "monitoring.json"))
  cat(folder, ": information ", info, "/", N, ", Z = ", z, "\n", sep = "")
}

for (folder in case_folders(here)) one_case(folder)
