#!/usr/bin/env Rscript
# Independent derivation of the descriptive tables of the results JSON, pooled and by arm, for
# dmc-report's tests, in base R with readxl: enrolment (screened, randomized, by site and month,
# not randomized with reasons), disposition by arm, baseline characteristics, exposure,
# follow-up, vital signs, and the safety tables (by organ class and term, worst severity,
# serious and withdrawn events, listings of SAEs, withdrawals and deaths).
#
#   Rscript tests/reference/tables.R            # every case under tests/fixtures/r{,-shared}/
#   Rscript tests/reference/tables.R ties       # one case
#
# Writes tables.json beside each case: {"pooled": {...}, "by_arm": {"<ARMCD>": {...}},
# "unblinded": {"exposure": {"<ARMCD>": ...}, ...}}, in the layout of the results JSON (tests/reference/coverage.py says where each
# part lands). The rules are dmc-sap.md's; where it is silent, docs/analysis.md's words:
# - randomized: RANDDT on or before the cutoff C; screened: CONSDT on or before C or blank; the
#   first DM row of a subject counts;
# - a record counts when dated on or before C (or undated); VS rows take their visit's target
#   date; of several rows for one subject (FU), or subject, visit and time point (VS), the first
#   usable one counts;
# - baseline: AGE (18-100) and BLDAYS (0-30) summarised (values outside: missing), SEX, RACE,
#   ETHNIC and ROUTE counted (blank: "(missing)"), most frequent first;
# - vital signs: per subject, the largest rise from PRE among the other time points of the
#   infusion visit, for SYSBP (60-260) and DIABP (30-160).
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(here, "read.R"))

SEV <- c("MILD", "MODERATE", "SEVERE")
# the first study's (templates/protocols/ketamine-mbrp.toml); a case of another protocol gives
# its own in case.json ("study")
FIRST_STUDY <- list(target_enrollment = 60, infusion_visit = "D2", eot = 35,
                    vital_signs = TRUE, follow_up = TRUE, exposure = TRUE,
                    schedule = list(visit = "D2", day = 2))

numeric_summary <- function(v) {
  out <- describe(v)
  w <- v[!is.na(v)]
  some <- length(w) > 0
  c(out, list(q1 = if (some) unname(quantile(w, 0.25)) else NULL,
              q3 = if (some) unname(quantile(w, 0.75)) else NULL,
              min = if (some) min(w) else NULL, max = if (some) max(w) else NULL,
              missing = sum(is.na(v))))
}
in_range <- function(v, lo, hi) ifelse(!is.na(v) & v >= lo & v <= hi, v, NA)

baseline <- function(dm) {
  n <- nrow(dm)
  cats <- list()
  for (col in c("SEX", "RACE", "ETHNIC", "ROUTE")) {
    v <- if (col %in% names(dm)) dm[[col]] else rep(NA_character_, n)
    v[is.na(v)] <- "(missing)"
    tab <- table(v)
    ord <- order(-as.integer(tab), names(tab), method = "radix")
    cats[[col]] <- lapply(ord, function(i) list(value = names(tab)[i], n = as.integer(tab[i]),
                                                proportion = as.integer(tab[i]) / n))
  }
  list(n = n,
       numeric = list(AGE = numeric_summary(in_range(dm$AGE, 18, 100)),
                      BLDAYS = numeric_summary(in_range(dm$BLDAYS, 0, 30))),
       categorical = cats)
}

disposition <- function(s) {
  disc <- s$DSDECOD[s$discontinued]
  tab <- table(disc)
  reasons <- setNames(list(), character())
  if (length(tab)) {
    o <- order(names(tab), method = "radix")
    reasons <- setNames(as.list(as.integer(tab)[o]), names(tab)[o])
  }
  list(completed = sum(s$completed), discontinued = sum(s$discontinued),
       ongoing = sum(!s$completed & !s$discontinued), reasons = reasons)
}

listing <- function(a, s) {
  if (!nrow(a)) return(list())
  a <- a[order(a$AESTDT, a$SUBJID, method = "radix"), ]
  rand <- s$RANDDT[match(a$SUBJID, s$SUBJID)]
  delta <- as.numeric(a$AESTDT - rand)
  day <- ifelse(delta < 0, delta, delta + 1)
  txt <- function(v) if (is.na(v)) NULL else v
  dt <- function(v) if (is.na(v)) NULL else format(v)
  lapply(seq_len(nrow(a)), function(i) list(
    subject = a$SUBJID[i], term = txt(a$AETERM[i]), soc = txt(a$AESOC_RAW[i]),
    start = dt(a$AESTDT[i]), end = dt(a$AEENDT[i]),
    study_day = if (is.na(day[i])) NULL else as.integer(day[i]),
    severity = txt(a$AESEV[i]), related = txt(a$AEREL[i]), action = txt(a$AEACN[i]),
    outcome = txt(a$AEOUT[i])))
}

safety <- function(a, s) {
  ser <- a[a$AESER %in% "Y", ]
  wd <- a[a$AEACN %in% "WITHDRAWN", ]
  dead <- sort(union(a$SUBJID[a$AEOUT %in% "FATAL"], s$SUBJID[s$DSDECOD %in% "DEATH"]), method = "radix")
  by_soc <- list()
  if (nrow(a)) {
    socs <- unique(a$AESOC)
    rows <- lapply(socs, function(soc) {
      part <- a[a$AESOC == soc, ]
      terms <- unique(part$AETERM)
      trows <- lapply(terms, function(t) list(term = t, subjects = length(unique(part$SUBJID[part$AETERM == t])),
                                              events = sum(part$AETERM == t)))
      o <- order(-sapply(trows, `[[`, "subjects"), terms, method = "radix")
      list(soc = soc, subjects = length(unique(part$SUBJID)), events = nrow(part), terms = trows[o])
    })
    o <- order(-sapply(rows, `[[`, "subjects"), socs, method = "radix")
    by_soc <- rows[o]
  }
  rank <- match(a$AESEV, SEV)
  worst <- if (nrow(a)) tapply(rank, a$SUBJID, function(r) if (all(is.na(r))) NA else max(r, na.rm = TRUE)) else integer()
  sev <- list()
  for (i in seq_along(SEV)) sev[[SEV[i]]] <- sum(!is.na(worst) & worst == i)
  sev[["NOT RECORDED"]] <- sum(is.na(worst))
  list(sae_events = nrow(ser), subjects_ae_withdrawn = length(unique(wd$SUBJID)),
       by_soc = by_soc, by_worst_severity = sev,
       sae_listing = listing(ser, s), death_listing = as.list(dead),
       withdrawal_listing = listing(wd, s))
}

vital_signs <- function(vs, ids, visit) {
  v <- vs[vs$SUBJID %in% ids, ]
  rise <- function(col) {
    out <- sapply(ids, function(id) {
      w <- v[v$SUBJID == id, ]
      pre <- w[[col]][w$TPT %in% "PRE"]
      post <- w[[col]][!(w$TPT %in% "PRE")]
      if (!length(pre) || is.na(pre[1]) || !length(post) || all(is.na(post))) return(NA)
      max(post - pre[1], na.rm = TRUE)
    })
    unname(out)
  }
  list(visit = visit, sysbp_max_rise = describe(rise("SYSBP")), diabp_max_rise = describe(rise("DIABP")))
}

one_case <- function(folder) {
  io <- case_inputs(folder)
  case <- io$case
  C <- as.Date(case$cutoff)
  P <- if (is.null(case$study)) FIRST_STUDY else case$study
  sched <- if (is.null(case$schedule)) FIRST_STUDY$schedule else case$schedule
  data <- io$data
  sheets <- excel_sheets(data)

  dm <- sheet(data, "DM", dates = c("CONSDT", "RANDDT"), nums = c("AGE", "BLDAYS"))
  dm <- dm[!is.na(dm$SUBJID) & !duplicated(dm$SUBJID), ]
  screened <- dm[is.na(dm$CONSDT) | dm$CONSDT <= C, ]
  randomized <- !is.na(dm$RANDDT) & dm$RANDDT <= C
  rdm <- dm[randomized, ]
  s <- rdm[, c("SUBJID", "SITEID", "RANDDT")]
  ds <- sheet(data, "DS", dates = "DSDT", codes = "DSDECOD")
  ds <- ds[!is.na(ds$SUBJID) & (is.na(ds$DSDT) | ds$DSDT <= C), ]
  ds <- ds[!duplicated(ds$SUBJID), ]
  s$DSDECOD <- ds$DSDECOD[match(s$SUBJID, ds$SUBJID)]
  s$DSDT <- ds$DSDT[match(s$SUBJID, ds$SUBJID)]
  s$completed <- !is.na(s$DSDECOD) & s$DSDECOD == "COMPLETED" & !is.na(s$DSDT)
  s$discontinued <- !is.na(s$DSDECOD) & s$DSDECOD != "COMPLETED" & !is.na(s$DSDT)

  # enrolment (pooled only)
  month <- format(s$RANDDT, "%Y-%m")
  mt <- table(month)
  not_rand <- screened[!(screened$SUBJID %in% s$SUBJID), ]
  enrollment <- list(
    screened = nrow(screened), randomized = nrow(s),
    not_randomized = nrow(not_rand), target = P$target_enrollment,
    by_site = if (nrow(s)) as.list(table(s$SITEID)) else setNames(list(), character()),
    by_month = lapply(seq_along(mt), function(i) list(month = names(mt)[i], randomized = as.integer(mt[i]),
                                                      cumulative = sum(as.integer(mt)[seq_len(i)]))),
    first_randomization = if (nrow(s)) format(min(s$RANDDT)) else NULL,
    last_randomization = if (nrow(s)) format(max(s$RANDDT)) else NULL)
  if ("SFREASON" %in% names(dm) && any(!is.na(dm$SFREASON))) {
    why <- not_rand$SFREASON
    why[is.na(why)] <- "(not given)"
    tab <- table(why)
    o <- order(-as.integer(tab), names(tab), method = "radix")
    enrollment$not_randomized_reasons <- setNames(as.list(as.integer(tab)[o]), names(tab)[o])
  }

  ae <- sheet(data, "AE", dates = c("AESTDT", "AEENDT"), codes = c("AESER", "AEACN", "AEOUT", "AESEV", "AEREL"))
  ae <- ae[ae$SUBJID %in% s$SUBJID & !is.na(ae$AETERM) & (is.na(ae$AESTDT) | ae$AESTDT <= C), ]
  ae$AESOC_RAW <- ae$AESOC
  ae$AESOC[is.na(ae$AESOC)] <- "(SOC not coded)"

  ex <- if ("EX" %in% sheets) sheet(data, "EX", dates = "EXDT", codes = "EXCOMPL") else NULL
  if (!is.null(ex)) ex <- ex[ex$SUBJID %in% s$SUBJID & (is.na(ex$EXDT) | ex$EXDT <= C), ]
  fu <- if ("FU" %in% sheets) sheet(data, "FU", dates = "FUDT", codes = "FUABST") else NULL
  if (!is.null(fu)) {
    fu <- fu[fu$SUBJID %in% s$SUBJID & (is.na(fu$FUDT) | fu$FUDT <= C), ]
    fu <- fu[!duplicated(fu$SUBJID), ]
  }
  vs <- NULL
  if (isTRUE(P$vital_signs) && !is.null(P$infusion_visit) && "VS" %in% sheets) {
    vs <- sheet(data, "VS", codes = c("VISIT", "TPT"), nums = c("SYSBP", "DIABP"))
    day <- sched$day[sched$visit == P$infusion_visit]
    target <- s$RANDDT[match(vs$SUBJID, s$SUBJID)] + ifelse(day > 0, day - 1, day)
    vs <- vs[vs$SUBJID %in% s$SUBJID & vs$VISIT %in% P$infusion_visit & !is.na(target) & target <= C, ]
    vs <- vs[!is.na(vs$SYSBP) | !is.na(vs$DIABP), ]  # a usable row holds a blood pressure
    vs <- vs[!duplicated(vs[, c("SUBJID", "VISIT", "TPT")]), ]
    vs$SYSBP <- in_range(vs$SYSBP, 60, 260)
    vs$DIABP <- in_range(vs$DIABP, 30, 160)
  }

  group <- function(ids) {
    x <- s[s$SUBJID %in% ids, ]
    out <- list(
      disposition = disposition(x),
      safety = safety(ae[ae$SUBJID %in% ids, ], x),
      baseline = baseline(rdm[rdm$SUBJID %in% ids, ]))
    if (isTRUE(P$exposure)) {
      e <- if (is.null(ex)) ex else ex[ex$SUBJID %in% ids, ]
      out$exposure <- list(n = nrow(x), infused = if (is.null(e)) 0L else length(unique(e$SUBJID)),
                           completed = if (is.null(e) || !("EXCOMPL" %in% names(e))) 0L
                                       else length(unique(e$SUBJID[e$EXCOMPL %in% "Y"])))
    } else out["exposure"] <- list(NULL)
    if (isTRUE(P$follow_up)) {
      f <- if (is.null(fu)) fu else fu[fu$SUBJID %in% ids, ]
      out$follow_up <- list(n = nrow(x), contacted = if (is.null(f)) 0L else nrow(f),
                            abstinent = if (is.null(f)) 0L else sum(f$FUABST %in% "Y"))
    } else out["follow_up"] <- list(NULL)
    out["vital_signs"] <- list(if (is.null(vs)) NULL else vital_signs(vs, x$SUBJID, P$infusion_visit))
    out
  }
  key <- sheet(io$key, "RAND")
  key <- key[!duplicated(key$SUBJID), ]
  arms <- sheet(io$key, "ARMS")$ARMCD
  pooled <- c(list(enrollment = enrollment), group(s$SUBJID))
  groups <- lapply(arms, function(a) group(intersect(s$SUBJID, key$SUBJID[key$ARMCD %in% a])))
  names(groups) <- arms
  by_arm <- lapply(groups, function(g) g[c("disposition", "safety", "baseline")])
  # a domain the trial does not collect is null as a whole on the unblinded side
  domains <- list()
  for (d in c("exposure", "follow_up", "vital_signs")) {
    domains[d] <- list(if (is.null(pooled[[d]])) NULL else lapply(groups, function(g) g[[d]]))
  }
  write_json_file(list(pooled = pooled, by_arm = by_arm, unblinded = domains),
                  file.path(folder, "tables.json"))
  cat(folder, ": ", nrow(s), " randomized, ", nrow(ae), " adverse events\n", sep = "")
}

for (folder in case_folders(here)) one_case(folder)
