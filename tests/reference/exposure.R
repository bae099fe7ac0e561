#!/usr/bin/env Rscript
# Independent derivation of the dosing-log summaries (several dosing records per subject, as in
# daily dosing dispensed weekly), pooled and by arm, for dmc-report's tests.
#
#   Rscript tests/reference/exposure.R     # every case under tests/fixtures/r{,-shared}/
#
# Writes exposure.json beside each case: null when no subject has more than one dosing record
# (a single dose: no log to summarise). Per dosed randomized subject, over EX rows dated on or
# before the cutoff (or undated): the records, the percentage completed as directed (EXCOMPL = Y
# of those with Y or N; none recorded: missing) and the days from the first to the last dose + 1.
# Each is summarised as n, mean, SD, median, t-based 95% CI, quartiles (R type 7), range and the
# missing count.
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})
source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "read.R"))

numeric_summary <- function(v) {
  out <- describe(v)
  w <- v[!is.na(v)]
  some <- length(w) > 0
  c(out, list(q1 = if (some) unname(quantile(w, 0.25)) else NULL,
              q3 = if (some) unname(quantile(w, 0.75)) else NULL,
              min = if (some) min(w) else NULL, max = if (some) max(w) else NULL,
              missing = sum(is.na(v))))
}
log_of <- function(ex) {
  if (!nrow(ex)) return(NULL)
  ids <- unique(ex$SUBJID)
  records <- sapply(ids, function(i) sum(ex$SUBJID == i))
  if (max(records) <= 1) return(NULL)
  adherence <- sapply(ids, function(i) {
    c <- ex$EXCOMPL[ex$SUBJID == i]
    known <- sum(c %in% c("Y", "N"))
    if (known == 0) NA else 100 * sum(c %in% "Y") / known
  })
  days <- sapply(ids, function(i) {
    d <- ex$EXDT[ex$SUBJID == i]
    as.numeric(max(d, na.rm = TRUE) - min(d, na.rm = TRUE)) + 1
  })
  list(records_per_subject = numeric_summary(unname(records)),
       adherence_percent = numeric_summary(unname(adherence)),
       days_on_treatment = numeric_summary(unname(days)))
}

one_case <- function(folder) {
  C <- as.Date(fromJSON(file.path(folder, "case.json"))$cutoff)
  io <- case_inputs(folder)
  data <- io$data
  dm <- sheet(data, "DM", dates = c("CONSDT", "RANDDT"))
  dm <- dm[!is.na(dm$SUBJID) & !duplicated(dm$SUBJID), ]
  rand <- dm$SUBJID[!is.na(dm$RANDDT) & dm$RANDDT <= C]
  ex <- sheet(data, "EX", dates = "EXDT", codes = "EXCOMPL")
  ex <- ex[!is.na(ex$SUBJID) & ex$SUBJID %in% rand & (is.na(ex$EXDT) | ex$EXDT <= C), ]
  key <- sheet(io$key, "RAND")
  key <- key[!duplicated(key$SUBJID), ]
  ex$ARMCD <- key$ARMCD[match(ex$SUBJID, key$SUBJID)]
  arms <- sort(unique(key$ARMCD[key$SUBJID %in% rand]))
  out <- list(pooled = log_of(ex), by_arm = list())
  for (a in arms) out$by_arm[[a]] <- log_of(ex[!is.na(ex$ARMCD) & ex$ARMCD == a, ])
  writeLines(toJSON(out, auto_unbox = TRUE, null = "null", digits = NA, pretty = TRUE),
             file.path(folder, "exposure.json"))
  cat(folder, ": ", nrow(ex), " dosing records\n", sep = "")
}

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
for (folder in case_folders(here)) one_case(folder)
