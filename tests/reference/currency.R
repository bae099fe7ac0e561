#!/usr/bin/env Rscript
# Data currency derived independently (base R with readxl), for dmc-report's tests: currency.json
# beside each case (tests/reference/coverage.py compares it with blinded.data_currency).
#
#   Rscript tests/reference/currency.R             # every case under tests/fixtures/r{,-shared}/
#   Rscript tests/reference/currency.R urine-panel # one case
#
# In docs/analysis.md's words ("Data currency"): randomized subjects (the first DM row of each
# subject with a valid RANDDT on or before the cutoff; its SITEID); the records that count of
# the urine, craving, questionnaire and adverse-event sheets (dated by VISDT, VISDT, VISDT,
# AESTDT) of those subjects, dated, with a valid ENTRYDT on or after that date;
# lag = ENTRYDT - date in days; median, 90th percentile (type 7) and maximum, over all, by site
# (sorted) and by form. No such record (no ENTRYDT column anywhere): null.
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(here, "read.R"))

FORMS <- c(UDS = "VISDT", VAS = "VISDT", QS = "VISDT", AE = "AESTDT")

lag_of <- function(name, v) {
  list(name = name, records = length(v), median_days = unname(median(v)),
       p90_days = unname(quantile(v, 0.9, type = 7)), max_days = max(v))
}

one_case <- function(folder) {
  inp <- case_inputs(folder)
  cutoff <- as.numeric(as.Date(inp$case$cutoff))
  sheets <- excel_sheets(inp$data)
  dm <- read_excel(inp$data, sheet = "DM", col_types = "list")
  names(dm) <- toupper(trimws(names(dm)))
  sid <- cell_text(dm$SUBJID)
  first <- !duplicated(sid) & !is.na(sid)
  rand <- as.numeric(cell_date(dm$RANDDT))
  ok <- first & !is.na(rand) & rand <= cutoff
  site_of <- setNames(cell_text(dm$SITEID)[ok], sid[ok])
  rows <- data.frame(form = character(), site = character(), lag = numeric())
  for (form in names(FORMS)) {
    if (!(form %in% sheets)) next
    f <- read_excel(inp$data, sheet = form, col_types = "list")
    names(f) <- toupper(trimws(names(f)))
    if (!("ENTRYDT" %in% names(f))) next
    s <- cell_text(f$SUBJID)
    d <- as.numeric(cell_date(f[[FORMS[[form]]]]))
    e <- as.numeric(cell_date(f$ENTRYDT))
    # the record that counts: usable (dated on or before the cutoff or undated; a POS/NEG urine
    # result; a craving rating in 0-100), and of the urine, craving and questionnaire sheets the
    # first usable row per subject and visit
    usable <- is.na(d) | d <= cutoff
    if (form == "UDS") usable <- usable & toupper(cell_text(f$COCAINE)) %in% c("POS", "NEG")
    if (form == "VAS") {
      v <- cell_num(f$CRAVING)
      usable <- usable & !is.na(v) & v >= 0 & v <= 100
    }
    if (form != "AE") {
      key <- paste(s, toupper(cell_text(f$VISIT)), sep = "\r")
      keyed <- usable & !is.na(s) & !is.na(cell_text(f$VISIT))
      first <- rep(FALSE, length(s))
      idx <- which(keyed)
      first[idx[!duplicated(key[idx])]] <- TRUE
      usable <- first
    }
    keep <- usable & !is.na(d) & !is.na(e) & e >= d & s %in% names(site_of)
    if (any(keep)) {
      rows <- rbind(rows, data.frame(form = form, site = unname(site_of[s[keep]]),
                                     lag = e[keep] - d[keep]))
    }
  }
  out <- list(data_currency = NULL)
  if (nrow(rows)) {
    all <- lag_of("all", rows$lag)
    sites <- sort(unique(rows$site))
    forms <- names(FORMS)[names(FORMS) %in% rows$form]
    out$data_currency <- list(
      records = all$records, median_days = all$median_days, p90_days = all$p90_days,
      max_days = all$max_days,
      by_site = lapply(sites, function(x) lag_of(x, rows$lag[rows$site == x])),
      by_form = lapply(forms, function(x) lag_of(x, rows$lag[rows$form == x]))
    )
  }
  write_json_file(out, file.path(folder, "currency.json"))
}

for (folder in case_folders(here)) one_case(folder)
