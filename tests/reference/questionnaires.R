#!/usr/bin/env Rscript
# Independent derivation of the questionnaire summaries (FFMQ and PSS by visit, pooled and by
# arm) for dmc-report's tests, in base R with readxl.
#
#   Rscript tests/reference/questionnaires.R     # every case under tests/fixtures/r{,-shared}/
#
# Each case folder holds data.xlsx, key.xlsx and case.json (the cutoff); this script writes
# questionnaires.json beside them. The rules (dmc-sap.md "The date of a record" and "Which record
# counts" in docs/analysis.md): a QS row counts when dated on or before the cutoff (or undated),
# for a randomized subject, at a visit whose schedule has QS; of the rows for one subject and
# visit the first that counts is used; a score outside its range (FFMQ 39-195, PSS 0-40) is
# left out. Per visit and score: n, mean, SD, median and the t-based 95% CI (R t.test).
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})

QS_VISITS <- c("SCR", "D1", "D5", "W3V2", "W5V2")  # templates/protocols/ketamine-mbrp.toml
RANGES <- list(FFMQ = c(39, 195), PSS = c(0, 40))

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "read.R"))

by_visit <- function(qs, visits) {
  out <- list()
  for (score in names(RANGES)) {
    out[[score]] <- lapply(visits, function(v) c(list(visit = v), describe(qs[qs$VISIT == v, score])))
  }
  out
}

one_case <- function(folder) {
  case <- fromJSON(file.path(folder, "case.json"))
  C <- as.Date(case$cutoff)
  visits <- if (is.null(case$schedule)) QS_VISITS else case$schedule$visit[case$schedule$qs]
  io <- case_inputs(folder)
  data <- io$data
  dm <- sheet(data, "DM", dates = c("CONSDT", "RANDDT"))
  dm <- dm[!is.na(dm$SUBJID) & !duplicated(dm$SUBJID), ]
  rand <- dm$SUBJID[!is.na(dm$RANDDT) & dm$RANDDT <= C]
  qs <- sheet(data, "QS", dates = "VISDT", codes = "VISIT", nums = names(RANGES))
  qs <- qs[!is.na(qs$SUBJID) & !is.na(qs$VISIT) & qs$SUBJID %in% rand & qs$VISIT %in% visits, ]
  qs <- qs[is.na(qs$VISDT) | qs$VISDT <= C, ]
  qs <- qs[!duplicated(qs[, c("SUBJID", "VISIT")]), ]
  for (score in names(RANGES)) {
    r <- RANGES[[score]]
    qs[[score]][!is.na(qs[[score]]) & (qs[[score]] < r[1] | qs[[score]] > r[2])] <- NA
  }
  key <- sheet(io$key, "RAND")
  key <- key[!duplicated(key$SUBJID), ]
  qs$ARMCD <- key$ARMCD[match(qs$SUBJID, key$SUBJID)]
  arms <- sort(unique(key$ARMCD[key$SUBJID %in% rand]))
  out <- list(pooled = by_visit(qs, visits), by_arm = list())
  for (a in arms) out$by_arm[[a]] <- by_visit(qs[!is.na(qs$ARMCD) & qs$ARMCD == a, ], visits)
  writeLines(toJSON(out, auto_unbox = TRUE, null = "null", digits = NA, pretty = TRUE),
             file.path(folder, "questionnaires.json"))
  cat(folder, ": ", nrow(qs), " questionnaire records\n", sep = "")
}

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
for (folder in case_folders(here)) one_case(folder)
