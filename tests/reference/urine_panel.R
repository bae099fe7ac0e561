#!/usr/bin/env Rscript
# The urine panel's other analytes described independently (base R with readxl), for
# dmc-report's tests: urine_panel.json beside each case (tests/reference/coverage.py compares
# it with the results JSON's urine_panel, pooled and by arm).
#
#   Rscript tests/reference/urine_panel.R             # every case under tests/fixtures/r{,-shared}/
#   Rscript tests/reference/urine_panel.R urine-panel # one case
#
# The reading follows docs/analysis.md ("Other analytes of the urine panel") in its own words:
# randomized subjects (a valid RANDDT on or before the cutoff); their urine rows at a scheduled
# urine visit (case.json schedule) with a valid VISDT on or before the cutoff, the first such
# row per subject and visit in sheet order; an analyte's cell trimmed and upper-cased counts
# when it is POS or NEG. Per analyte: samples with a result, positive samples, subjects with a
# result, subjects with a positive; pooled and by the key's arm. A case whose protocol names no
# panel (case.json panel empty) gets null, as the tool writes.
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(here, "read.R"))

one_case <- function(folder) {
  inp <- case_inputs(folder)
  case <- inp$case
  out <- list(pooled = NULL, by_arm = NULL)
  panel <- case$panel
  if (is.null(panel) || length(panel) == 0 || NROW(panel) == 0) {
    write_json_file(out, file.path(folder, "urine_panel.json"))
    return(invisible())
  }
  panel <- as.data.frame(panel, stringsAsFactors = FALSE)
  cutoff <- as.numeric(as.Date(case$cutoff))
  uds_visits <- case$schedule$visit[unlist(case$schedule$uds)]

  dm <- read_excel(inp$data, sheet = "DM", col_types = "list")
  names(dm) <- toupper(trimws(names(dm)))
  rand <- as.numeric(cell_date(dm$RANDDT))
  randomized <- unique(cell_text(dm$SUBJID)[!is.na(rand) & rand <= cutoff])

  uds <- read_excel(inp$data, sheet = "UDS", col_types = "list")
  names(uds) <- toupper(trimws(names(uds)))
  sid <- cell_text(uds$SUBJID)
  visit <- toupper(cell_text(uds$VISIT))
  date <- as.numeric(cell_date(uds$VISDT))
  keep <- sid %in% randomized & visit %in% uds_visits & !is.na(date) & date <= cutoff
  rows <- which(keep)
  rows <- rows[!duplicated(paste(sid[rows], visit[rows], sep = "\r"))]

  key <- read_excel(inp$key, sheet = "RAND", col_types = "list")
  names(key) <- toupper(trimws(names(key)))
  arm_of <- setNames(cell_text(key$ARMCD), cell_text(key$SUBJID))

  describe <- function(subjects) {
    lapply(seq_len(nrow(panel)), function(i) {
      r <- rows[sid[rows] %in% subjects]
      v <- toupper(cell_text(uds[[toupper(panel$column[i])]][r]))
      tested <- !is.na(v) & v %in% c("POS", "NEG")
      pos <- !is.na(v) & v == "POS"
      list(
        analyte = panel$analyte[i], column = panel$column[i],
        samples = sum(tested), positive = sum(pos),
        subjects = length(unique(sid[r][tested])),
        subjects_positive = length(unique(sid[r][pos]))
      )
    })
  }
  arms <- sort(unique(arm_of[randomized]))
  out$pooled <- describe(randomized)
  out$by_arm <- setNames(lapply(arms, function(a) describe(randomized[arm_of[randomized] %in% a])), arms)
  write_json_file(out, file.path(folder, "urine_panel.json"))
}

for (folder in case_folders(here)) one_case(folder)
