#!/usr/bin/env Rscript
# Independent derivation of two safety tables (relatedness; subjects by worst severity within
# each organ class), pooled and by arm, for dmc-report's tests, in base R with readxl.
#
#   Rscript tests/reference/safety.R     # every case under tests/fixtures/r{,-shared}/
#
# Each case folder holds data.xlsx, key.xlsx and case.json (the cutoff); this script writes
# safety.json beside them. The AEs are dmc-sap.md's: those of randomized subjects with a term,
# starting on or before the cutoff (or undated). Related: AEREL = Y (subjects and events). Per
# organ class (blank: "(SOC not coded)"), each subject counts once, at the worst severity of its
# AEs in that class (MILD < MODERATE < SEVERE; none recorded: NOT RECORDED).
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})

SEV <- c("MILD", "MODERATE", "SEVERE")

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "read.R"))

tables <- function(ae) {
  soc_worst <- setNames(list(), character())
  if (nrow(ae)) {
    ae$rank <- match(ae$AESEV, SEV)
    for (soc in unique(ae$AESOC)) {
      part <- ae[ae$AESOC == soc, ]
      worst <- tapply(part$rank, part$SUBJID, function(r) if (all(is.na(r))) NA else max(r, na.rm = TRUE))
      row <- list()
      for (i in seq_along(SEV)) row[[SEV[i]]] <- sum(!is.na(worst) & worst == i)
      row[["NOT RECORDED"]] <- sum(is.na(worst))
      soc_worst[[soc]] <- row
    }
  }
  list(related = list(subjects = length(unique(ae$SUBJID[!is.na(ae$AEREL) & ae$AEREL == "Y"])),
                      events = sum(!is.na(ae$AEREL) & ae$AEREL == "Y")),
       by_soc_worst_severity = soc_worst)
}

one_case <- function(folder) {
  C <- as.Date(fromJSON(file.path(folder, "case.json"))$cutoff)
  io <- case_inputs(folder)
  data <- io$data
  dm <- sheet(data, "DM", dates = c("CONSDT", "RANDDT"))
  dm <- dm[!is.na(dm$SUBJID) & !duplicated(dm$SUBJID), ]
  rand <- dm$SUBJID[!is.na(dm$RANDDT) & dm$RANDDT <= C]
  ae <- sheet(data, "AE", dates = "AESTDT", codes = c("AESEV", "AEREL"))
  ae <- ae[ae$SUBJID %in% rand & !is.na(ae$AETERM) & (is.na(ae$AESTDT) | ae$AESTDT <= C), ]
  ae$AESOC[is.na(ae$AESOC)] <- "(SOC not coded)"
  key <- sheet(io$key, "RAND")
  key <- key[!duplicated(key$SUBJID), ]
  ae$ARMCD <- key$ARMCD[match(ae$SUBJID, key$SUBJID)]
  arms <- sort(unique(key$ARMCD[key$SUBJID %in% rand]))
  out <- list(pooled = tables(ae), by_arm = list())
  for (a in arms) out$by_arm[[a]] <- tables(ae[!is.na(ae$ARMCD) & ae$ARMCD == a, ])
  writeLines(toJSON(out, auto_unbox = TRUE, null = "null", digits = NA, pretty = TRUE),
             file.path(folder, "safety.json"))
  cat(folder, ": ", nrow(ae), " adverse events\n", sep = "")
}

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
for (folder in case_folders(here)) one_case(folder)
