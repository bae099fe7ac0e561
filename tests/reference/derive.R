#!/usr/bin/env Rscript
# Independent derivation of dmc-sap.md in R (readxl, survival, stats), for dmc-report's tests.
#
#   Rscript tests/reference/derive.R            # every case under tests/fixtures/r{,-shared}/
#   Rscript tests/reference/derive.R ties       # one case
#
# Each case folder holds data.xlsx, key.xlsx (not encrypted) and case.json (the cutoff); this
# script writes expected.json beside them, in the layout of the results JSON (data contract
# section 3). It shares no code with dmc-report: it reads the workbooks itself and follows the
# SAP's words. The visit schedule is the shipped protocol's (templates/protocols/ketamine-mbrp.toml),
# restated below because base R reads no TOML.
suppressPackageStartupMessages({
  library(readxl)
  library(survival)
  library(jsonlite)
})
# case_folders and case_inputs (where a case's workbooks are); the reading helpers below are
# this script's own
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(here, "read.R"))

schedule <- data.frame(
  visit = c("SCR", "D1", "D2", "D3", "D4", "D5", "W2V1", "W2V2", "W3V1", "W3V2",
            "W4V1", "W4V2", "W5V1", "W5V2", "FU6M"),
  day = c(-14, 1, 2, 3, 4, 5, 8, 11, 15, 18, 22, 25, 29, 32, 180),
  wb = c(0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 30),
  wa = c(13, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 30),
  uds = c(FALSE, rep(TRUE, 13), FALSE),
  vas = c(FALSE, rep(TRUE, 13), FALSE),
  stringsAsFactors = FALSE
)
ABST <- c("W4V1", "W4V2", "W5V1", "W5V2")
RELAPSE <- c("W2V1", "W2V2", "W3V1", "W3V2", "W4V1", "W4V2", "W5V1", "W5V2")
CRAVING <- RELAPSE
BASELINE <- "D1"
EOT <- 35

offset <- function(day) ifelse(day > 0, day - 1, day)

# --- reading -------------------------------------------------------------------------------
cell_date <- function(x) {
  out <- rep(as.Date(NA), length(x))
  for (i in seq_along(x)) {
    v <- x[[i]]
    if (inherits(v, "POSIXt") || inherits(v, "Date")) {
      out[i] <- as.Date(format(v, "%Y-%m-%d"))
    } else if (is.character(v) && length(v) == 1 && !is.na(v)) {
      s <- trimws(v)
      d <- suppressWarnings(as.Date(s, format = "%Y-%m-%d"))
      if (!is.na(d) && format(d, "%Y-%m-%d") == s) out[i] <- d
    }
  }
  out
}
cell_text <- function(x) {
  vapply(x, function(v) {
    if (is.null(v) || length(v) == 0 || (length(v) == 1 && is.na(v))) return(NA_character_)
    if (is.numeric(v)) return(format(v, scientific = FALSE, trim = TRUE))
    s <- trimws(as.character(v))
    if (s == "") NA_character_ else s
  }, character(1))
}
cell_num <- function(x) {
  vapply(x, function(v) {
    if (is.numeric(v) && length(v) == 1) return(as.numeric(v))
    if (is.character(v) && length(v) == 1) return(suppressWarnings(as.numeric(trimws(v))))
    NA_real_
  }, numeric(1))
}
sheet <- function(path, name, dates = character(), codes = character(), nums = character()) {
  raw <- read_excel(path, sheet = name, col_types = "list")
  names(raw) <- toupper(trimws(names(raw)))
  out <- data.frame(row.names = seq_len(nrow(raw)))
  for (col in names(raw)) {
    x <- raw[[col]]
    out[[col]] <- if (col %in% dates) cell_date(x)
                  else if (col %in% nums) cell_num(x)
                  else if (col %in% codes) toupper(cell_text(x))
                  else cell_text(x)
  }
  out
}

# --- statistics ----------------------------------------------------------------------------
describe <- function(v) {
  v <- v[!is.na(v)]
  n <- length(v)
  if (n == 0) return(list(n = 0, mean = NULL, sd = NULL, median = NULL, ci_lower = NULL, ci_upper = NULL))
  m <- mean(v)
  if (n == 1) return(list(n = 1, mean = m, sd = NULL, median = median(v), ci_lower = NULL, ci_upper = NULL))
  s <- sd(v)
  h <- qt(0.975, n - 1) * s / sqrt(n)
  list(n = n, mean = m, sd = s, median = median(v), ci_lower = m - h, ci_upper = m + h)
}
compare_binary <- function(y, x) {
  tab <- table(factor(x, c(1, 0)), factor(y, c(TRUE, FALSE)))
  # an arm with nobody in it (here: nobody evaluable yet) gives no table to test: the odds
  # ratio and Fisher's p cannot be estimated (dmc-sap.md "Missing values in results")
  if (any(rowSums(tab) == 0)) return(list(odds_ratio = NULL, odds_ratio_note = "no subjects in an arm", fisher_p = NULL))
  p <- fisher.test(tab)$p.value
  if (any(tab == 0)) return(list(odds_ratio = NULL, odds_ratio_note = "zero cell", fisher_p = p))
  fit <- glm(y ~ x, family = binomial)
  ci <- exp(confint.default(fit)["x", ])
  list(odds_ratio = list(estimate = unname(exp(coef(fit)["x"])), ci_lower = unname(ci[1]),
                         ci_upper = unname(ci[2])), fisher_p = p)
}
# the days of the number at risk: every 7 days (14 past ten weeks of treatment) from day 0 to the
# first multiple at or after the end of treatment
km_grid <- function(eot) {
  step <- if (eot > 70) 14 else 7
  seq(0, ceiling(eot / step) * step, by = step)
}
km <- function(time, event, grid = numeric()) {
  out <- list(n = length(time), events = sum(event), median_days = NULL,
              median_ci = list(lower = NULL, upper = NULL), km = list(),
              censored = list(), at_risk = lapply(grid, function(g) list(day = g, n = 0L)))
  if (!length(time)) return(out)
  fit <- survfit(Surv(time, event) ~ 1, conf.type = "log-log")
  if (sum(event) > 0) {
    s <- summary(fit, censored = FALSE)
    out$km <- lapply(seq_along(s$time), function(i) list(
      day = s$time[i], at_risk = s$n.risk[i], events = s$n.event[i], survival = s$surv[i],
      ci_lower = if (is.na(s$lower[i]) || s$surv[i] == 0) NULL else s$lower[i],
      ci_upper = if (is.na(s$upper[i]) || s$surv[i] == 0) NULL else s$upper[i]))
  }
  cens <- table(time[!event])
  out$censored <- lapply(seq_along(cens), function(i) list(day = as.numeric(names(cens)[i]), n = as.integer(cens[i])))
  if (length(grid)) {
    r <- summary(fit, times = grid, extend = TRUE)$n.risk
    out$at_risk <- lapply(seq_along(grid), function(i) list(day = grid[i], n = as.integer(r[i])))
  }
  q <- quantile(fit, probs = 0.5, conf.int = TRUE)
  nz <- function(v) if (is.na(v)) NULL else unname(v)
  out["median_days"] <- list(nz(q$quantile))
  out$median_ci <- list(lower = nz(q$lower), upper = nz(q$upper))
  out
}
# a proportion's 95% Wilson score interval (prop.test without continuity correction)
wilson <- function(k, n) {
  if (n == 0) return(c(NA, NA))
  suppressWarnings(prop.test(k, n, correct = FALSE)$conf.int[1:2])
}
proportion_ci <- function(k, n) {
  ci <- wilson(k, n)
  list(lower = if (is.na(ci[1])) NULL else ci[1], upper = if (is.na(ci[2])) NULL else ci[2])
}
# the difference of proportions experimental - control with Newcombe's hybrid score interval
# (Newcombe 1998, method 10): the two Wilson intervals combined
newcombe <- function(ke, ne, kc, nc) {
  if (ne == 0 || nc == 0) return(list(estimate = NULL, ci_lower = NULL, ci_upper = NULL))
  pe <- ke / ne
  pc <- kc / nc
  e <- wilson(ke, ne)
  c <- wilson(kc, nc)
  d <- pe - pc
  list(estimate = d, ci_lower = d - sqrt((pe - e[1])^2 + (c[2] - pc)^2),
       ci_upper = d + sqrt((e[2] - pe)^2 + (pc - c[1])^2))
}

# counts by value as a JSON object (an empty one when there is nothing to count)
named_counts <- function(v) {
  tab <- table(v)
  if (length(tab)) as.list(tab) else setNames(list(), character())
}

# --- one case --------------------------------------------------------------------------------
derive_case <- function(folder) {
  case <- fromJSON(file.path(folder, "case.json"))
  C <- as.Date(case$cutoff)
  # a case of another protocol carries its schedule and endpoints (make_fixtures.py writes them
  # from its protocol.toml); otherwise the first study's, restated above
  if (!is.null(case$schedule)) {
    schedule <- data.frame(visit = case$schedule$visit, day = case$schedule$day,
                           wb = case$schedule$wb, wa = case$schedule$wa,
                           uds = case$schedule$uds, vas = case$schedule$vas,
                           stringsAsFactors = FALSE)
    ABST <- case$endpoints$abstinence
    RELAPSE <- case$endpoints$relapse
    CRAVING <- case$endpoints$craving
    BASELINE <- case$endpoints$baseline
    EOT <- case$endpoints$eot
  }
  io <- case_inputs(folder)
  data <- io$data
  dm <- sheet(data, "DM", dates = c("CONSDT", "RANDDT"))
  dm <- dm[!is.na(dm$SUBJID) & !duplicated(dm$SUBJID), ]
  dm$RANDDT[!is.na(dm$RANDDT) & dm$RANDDT > C] <- NA
  rand <- dm[!is.na(dm$RANDDT), c("SUBJID", "SITEID", "RANDDT")]
  ds <- sheet(data, "DS", dates = "DSDT", codes = "DSDECOD")
  ds <- ds[!is.na(ds$SUBJID) & (is.na(ds$DSDT) | ds$DSDT <= C), ]
  ds <- ds[!duplicated(ds$SUBJID), ]
  s <- merge(rand, ds[, c("SUBJID", "DSDECOD", "DSDT")], by = "SUBJID", all.x = TRUE)
  s$completed <- !is.na(s$DSDECOD) & s$DSDECOD == "COMPLETED" & !is.na(s$DSDT)
  s$discontinued <- !is.na(s$DSDECOD) & s$DSDECOD != "COMPLETED" & !is.na(s$DSDT)
  s$dropout <- s$discontinued & s$DSDT <= s$RANDDT + (EOT - 1)

  uds <- sheet(data, "UDS", dates = "VISDT", codes = c("VISIT", "COCAINE", "COLLECTED"))
  uds <- uds[uds$COCAINE %in% c("POS", "NEG") & (is.na(uds$VISDT) | uds$VISDT <= C), ]
  uds <- uds[!duplicated(uds[, c("SUBJID", "VISIT")]), ]
  res <- function(sid, v) {
    i <- which(s$SUBJID == sid)
    sv <- schedule[schedule$visit == v, ]
    target <- s$RANDDT[i] + offset(sv$day)
    hit <- uds[uds$SUBJID == sid & uds$VISIT == v, ]
    if (nrow(hit)) return(list(r = hit$COCAINE[1], d = if (is.na(hit$VISDT[1])) target else hit$VISDT[1]))
    if (!is.na(s$DSDT[i]) && target > s$DSDT[i]) return(list(r = "NOTEXP", d = target))
    if (target + sv$wa <= C) return(list(r = "MISSING", d = target))
    list(r = "NOTDUE", d = target)
  }
  last <- schedule[schedule$visit == ABST[length(ABST)], ]
  for (i in seq_len(nrow(s))) {
    sid <- s$SUBJID[i]
    w <- sapply(ABST, function(v) res(sid, v)$r)
    due <- all(sapply(ABST, function(v) {
      sv <- schedule[schedule$visit == v, ]
      s$RANDDT[i] + offset(sv$day) + sv$wa <= C
    }))
    s$evaluable[i] <- due || s$discontinued[i]
    window_end <- s$RANDDT[i] + offset(last$day) + last$wa
    left <- s$discontinued[i] && s$DSDT[i] < window_end
    s$abstinent[i] <- s$evaluable[i] && !left && all(w == "NEG")
    s$abstinent_ignore[i] <- s$evaluable[i] && !left && any(w %in% c("POS", "NEG")) && !any(w == "POS")
    r <- lapply(RELAPSE, function(v) res(sid, v))
    bad <- as.Date(unlist(lapply(r, function(x) if (x$r %in% c("POS", "MISSING")) x$d else NULL)), origin = "1970-01-01")
    ev <- c(bad, if (s$dropout[i]) s$DSDT[i] else NULL)
    if (length(ev)) {
      s$relapse_event[i] <- TRUE
      s$relapse_time[i] <- as.numeric(min(ev) - s$RANDDT[i])
    } else {
      negs <- as.Date(unlist(lapply(r, function(x) if (x$r == "NEG" && x$d <= C) x$d else NULL)), origin = "1970-01-01")
      s$relapse_event[i] <- FALSE
      s$relapse_time[i] <- if (length(negs)) as.numeric(max(negs) - s$RANDDT[i]) else 0
    }
    stop <- min(c(s$RANDDT[i] + (EOT - 1), C, if (s$completed[i]) s$DSDT[i] else NULL))
    s$dropout_time[i] <- as.numeric((if (s$dropout[i]) s$DSDT[i] else stop) - s$RANDDT[i])
  }
  s$pending <- !s$evaluable

  vas <- sheet(data, "VAS", dates = "VISDT", codes = "VISIT", nums = "CRAVING")
  vas <- vas[!is.na(vas$CRAVING) & vas$CRAVING >= 0 & vas$CRAVING <= 100 &
             (is.na(vas$VISDT) | vas$VISDT <= C) & vas$SUBJID %in% s$SUBJID &
             vas$VISIT %in% schedule$visit[schedule$vas], ]
  vas <- vas[!duplicated(vas[, c("SUBJID", "VISIT")]), ]
  vas <- merge(vas, s[, c("SUBJID", "RANDDT", "DSDT")], by = "SUBJID")
  # every value dated <= C at a scheduled VAS visit counts, also at a visit whose target is after
  # the subject's DSDT ("not expected" only decides whether a missing urine sample is missing)
  post <- vas[vas$VISIT %in% CRAVING, ]
  cm <- tapply(post$CRAVING, post$SUBJID, mean)
  s$craving_mean <- unname(cm[s$SUBJID])
  bl <- vas[vas$VISIT == BASELINE, ]
  s$craving_baseline <- bl$CRAVING[match(s$SUBJID, bl$SUBJID)]

  ae <- sheet(data, "AE", dates = c("AESTDT", "AEENDT"), codes = c("AESER", "AEACN", "AEOUT"))
  ae <- ae[ae$SUBJID %in% s$SUBJID & !is.na(ae$AETERM) & (is.na(ae$AESTDT) | ae$AESTDT <= C), ]

  grid <- km_grid(EOT)
  summaries <- function(x) {
    ev <- x[x$evaluable, ]
    a <- ae[ae$SUBJID %in% x$SUBJID, ]
    dead <- union(a$SUBJID[a$AEOUT %in% "FATAL"], x$SUBJID[x$DSDECOD %in% "DEATH"])
    vis <- schedule$visit[schedule$vas]
    list(
      abstinence = list(evaluable = nrow(ev), pending = sum(x$pending), abstinent = sum(ev$abstinent),
                        proportion = if (nrow(ev)) sum(ev$abstinent) / nrow(ev) else NULL,
                        proportion_ci = proportion_ci(sum(ev$abstinent), nrow(ev))),
      abstinence_missing_ignored = list(evaluable = nrow(ev), pending = sum(x$pending),
                        abstinent = sum(ev$abstinent_ignore),
                        proportion = if (nrow(ev)) sum(ev$abstinent_ignore) / nrow(ev) else NULL,
                        proportion_ci = proportion_ci(sum(ev$abstinent_ignore), nrow(ev))),
      dropout = c(list(n = nrow(x), dropouts = sum(x$dropout), proportion = sum(x$dropout) / nrow(x)),
                  with(km(x$dropout_time, x$dropout, grid),
                       list(km_median_days = median_days, km = km, km_censored = censored,
                            km_at_risk = at_risk))),
      relapse = km(x$relapse_time, x$relapse_event, grid),
      use_or_dropout = list(n = nrow(x), subjects = sum(x$relapse_event),
                            proportion = sum(x$relapse_event) / nrow(x)),
      craving = lapply(vis, function(v) c(list(visit = v), describe(vas$CRAVING[vas$VISIT == v & vas$SUBJID %in% x$SUBJID]))),
      safety = list(subjects_with_ae = length(unique(a$SUBJID)), ae_events = nrow(a),
                    subjects_with_sae = length(unique(a$SUBJID[a$AESER %in% "Y"])),
                    deaths = length(dead),
                    ae_withdrawn_events = sum(a$AEACN %in% "WITHDRAWN"))
    )
  }
  pooled <- summaries(s)
  blinded <- pooled
  blinded$craving <- list(by_visit = pooled$craving)
  blinded$enrollment <- list(
    screened = sum(is.na(dm$CONSDT) | dm$CONSDT <= C), randomized = nrow(s),
    by_site = named_counts(s$SITEID))
  blinded$disposition <- list(completed = sum(s$completed), discontinued = sum(s$discontinued),
                              ongoing = sum(!s$completed & !s$discontinued),
                              reasons = named_counts(s$DSDECOD[s$discontinued]))

  key <- io$key
  rk <- sheet(key, "RAND", codes = character())
  arms <- sheet(key, "ARMS", codes = "ROLE")
  s$ARMCD <- rk$ARMCD[match(s$SUBJID, rk$SUBJID)]
  ctl <- arms$ARMCD[arms$ROLE == "CONTROL"]
  exps <- arms$ARMCD[arms$ROLE == "EXPERIMENTAL"]
  by <- lapply(arms$ARMCD, function(a) summaries(s[!is.na(s$ARMCD) & s$ARMCD == a, ]))
  names(by) <- arms$ARMCD
  pick <- function(part) lapply(by, function(b) b[[part]])
  baseline <- lapply(split(s$craving_baseline, s$ARMCD), describe)
  # each experimental arm against the control, on those two arms' subjects alone
  compare_pair <- function(exper) {
    two <- s[!is.na(s$ARMCD) & s$ARMCD %in% c(exper, ctl), ]
    two$x <- as.numeric(two$ARMCD == exper)
    ev2 <- two[two$evaluable, ]
    # coxph warns when the partial likelihood is monotone (e.g. no event in one arm): the
    # coefficient is infinite and the hazard ratio cannot be estimated (null)
    infinite <- FALSE
    cox <- withCallingHandlers(
      coxph(Surv(relapse_time, relapse_event) ~ x, data = two, ties = "efron"),
      warning = function(w) {
        if (grepl("may be infinite", conditionMessage(w))) {
          infinite <<- TRUE
          invokeRestart("muffleWarning")
        }
      })
    cs <- summary(cox)$coefficients
    lr <- survdiff(Surv(relapse_time, relapse_event) ~ x, data = two)
    xe <- two$craving_mean[two$x == 1]
    xc <- two$craving_mean[two$x == 0]
    tt <- t.test(xe, xc, var.equal = FALSE)
    diff <- mean(xe, na.rm = TRUE) - mean(xc, na.rm = TRUE)
    # every AE term of either arm: subjects with it in each arm, of the arm's randomized subjects
    a2 <- ae[ae$SUBJID %in% two$SUBJID, ]
    a2$SOC <- ifelse(is.na(a2$AESOC), "(SOC not coded)", a2$AESOC)
    a2$x <- two$x[match(a2$SUBJID, two$SUBJID)]
    ne <- sum(two$x == 1)
    nc <- sum(two$x == 0)
    pairs <- unique(a2[, c("SOC", "AETERM")])
    terms <- lapply(seq_len(nrow(pairs)), function(i) {
      hit <- a2[a2$SOC == pairs$SOC[i] & a2$AETERM == pairs$AETERM[i], ]
      se <- length(unique(hit$SUBJID[hit$x == 1]))
      sc <- length(unique(hit$SUBJID[hit$x == 0]))
      list(soc = pairs$SOC[i], term = pairs$AETERM[i], subjects_experimental = se, n_experimental = ne,
           subjects_control = sc, n_control = nc, risk_difference = newcombe(se, ne, sc, nc))
    })
    if (length(terms)) {
      o <- order(-sapply(terms, function(t) t$subjects_experimental + t$subjects_control),
                 pairs$AETERM, pairs$SOC, method = "radix")
      terms <- terms[o]
    }
    abst <- compare_binary(ev2$abstinent, ev2$x)
    abst$risk_difference <- newcombe(sum(ev2$abstinent[ev2$x == 1]), sum(ev2$x == 1),
                                     sum(ev2$abstinent[ev2$x == 0]), sum(ev2$x == 0))
    list(
      experimental = exper, control = ctl,
      abstinence = abst,
      abstinence_missing_ignored = compare_binary(ev2$abstinent_ignore, ev2$x),
      dropout = compare_binary(two$dropout, two$x),
      relapse = list(logrank = list(chi2 = lr$chisq, p = 1 - pchisq(lr$chisq, 1)),
                     hazard_ratio = if (infinite) list(estimate = NULL, ci_lower = NULL, ci_upper = NULL, p = NULL)
                                    else list(estimate = unname(exp(coef(cox))),
                                         ci_lower = unname(exp(cs[, "coef"] - qnorm(0.975) * cs[, "se(coef)"])),
                                         ci_upper = unname(exp(cs[, "coef"] + qnorm(0.975) * cs[, "se(coef)"])),
                                         p = unname(cs[, "Pr(>|z|)"]))),
      craving = list(difference = list(estimate = diff, ci_lower = tt$conf.int[1],
                                       ci_upper = tt$conf.int[2], p = tt$p.value,
                                       percent = 100 * diff / mean(xc, na.rm = TRUE),
                                       experimental_mean = mean(xe, na.rm = TRUE),
                                       control_mean = mean(xc, na.rm = TRUE),
                                       n_experimental = sum(!is.na(xe)), n_control = sum(!is.na(xc)),
                                       baseline = baseline)),
      ae_terms = terms
    )
  }
  comparisons <- lapply(exps, compare_pair)
  # the single comparison is also given at the top level; with several, none is
  one <- if (length(exps) == 1) comparisons[[1]] else NULL
  several <- list(odds_ratio = NULL, odds_ratio_note = "more than one experimental arm: see comparisons",
                  fisher_p = NULL)
  top <- function(part) if (is.null(one)) several else one[[part]]
  crav_by <- lapply(seq_along(by[[1]]$craving), function(i) list(
    visit = by[[1]]$craving[[i]]$visit,
    by_arm = lapply(by, function(b) b$craving[[i]][-1])))
  unblinded <- list(
    arms = lapply(seq_len(nrow(arms)), function(i) list(code = arms$ARMCD[i], label = arms$ARM[i],
      role = tolower(arms$ROLE[i]), n = sum(s$ARMCD %in% arms$ARMCD[i]))),
    abstinence = c(list(by_arm = pick("abstinence")), top("abstinence")),
    abstinence_missing_ignored = c(list(by_arm = pick("abstinence_missing_ignored")),
                                   top("abstinence_missing_ignored")),
    dropout = c(list(by_arm = pick("dropout")), top("dropout")),
    relapse = c(list(by_arm = pick("relapse")), if (is.null(one)) list() else one$relapse),
    craving = c(list(by_visit = crav_by), if (is.null(one)) list() else one$craving),
    safety = list(by_arm = pick("safety")),
    use_or_dropout = pick("use_or_dropout"),
    comparisons = comparisons
  )
  out <- list(data_cutoff = format(C), R = R.version.string,
              survival = as.character(packageVersion("survival")),
              readxl = as.character(packageVersion("readxl")),
              blinded = blinded, unblinded = unblinded)
  write(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
        file.path(folder, "expected.json"))
  cat("wrote", file.path(folder, "expected.json"), "\n")
}

for (folder in case_folders(here)) derive_case(folder)
