#!/usr/bin/env Rscript
# The urine panel's other analytes described independently (base R with readxl), for
# dmc-report's tests: tests/fixtures/urine-panel/urine_panel.json.
#
#   Rscript tests/reference/urine_panel.R [case folder]   # default tests/fixtures/urine-panel
#
# The reading follows docs/analysis.md ("Other analytes of the urine panel") in its own words:
# randomized subjects (a valid RANDDT on or before the cutoff); their urine rows at a scheduled
# urine visit (case.json uds_visits) with a valid VISDT on or before the cutoff, the first such
# row per subject and visit in sheet order; an analyte's cell trimmed and upper-cased counts
# when it is POS or NEG. Per analyte: samples with a result, positive samples, subjects with a
# result, subjects with a positive; pooled and by the key's arm.
suppressPackageStartupMessages({
  library(readxl)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
folder <- if (length(args)) args[1] else "tests/fixtures/urine-panel"
case <- fromJSON(file.path(folder, "case.json"), simplifyVector = FALSE)
cutoff <- as.Date(case$cutoff)

as_date <- function(x) {
  vapply(x, function(v) {
    if (inherits(v, "POSIXt") || inherits(v, "Date")) return(as.numeric(as.Date(format(v, "%Y-%m-%d"))))
    if (is.character(v) && length(v) == 1 && !is.na(v)) {
      s <- trimws(v)
      d <- suppressWarnings(as.Date(s, format = "%Y-%m-%d"))
      if (!is.na(d) && format(d, "%Y-%m-%d") == s) return(as.numeric(d))
    }
    NA_real_
  }, numeric(1))
}
as_text <- function(x) {
  vapply(x, function(v) {
    if (is.null(v) || length(v) == 0 || (length(v) == 1 && is.na(v))) return(NA_character_)
    if (is.numeric(v)) return(format(v, scientific = FALSE, trim = TRUE))
    s <- trimws(as.character(v))
    if (s == "") NA_character_ else s
  }, character(1))
}
read <- function(file, sheet) {
  raw <- read_excel(file.path(folder, file), sheet = sheet, col_types = "list")
  names(raw) <- toupper(trimws(names(raw)))
  raw
}

dm <- read("data.xlsx", "DM")
rand <- as_date(dm$RANDDT)
randomized <- unique(as_text(dm$SUBJID)[!is.na(rand) & rand <= as.numeric(cutoff)])

uds <- read("data.xlsx", "UDS")
sid <- as_text(uds$SUBJID)
visit <- toupper(as_text(uds$VISIT))
date <- as_date(uds$VISDT)
keep <- sid %in% randomized & visit %in% unlist(case$uds_visits) &
  !is.na(date) & date <= as.numeric(cutoff)
rows <- which(keep)
rows <- rows[!duplicated(paste(sid[rows], visit[rows], sep = "\r"))]

key <- read("key.xlsx", "RAND")
arm_of <- setNames(toupper(as_text(key$ARMCD)), as_text(key$SUBJID))

describe <- function(subjects) {
  lapply(case$panel, function(a) {
    r <- rows[sid[rows] %in% subjects]
    v <- toupper(as_text(uds[[toupper(a$column)]][r]))
    tested <- !is.na(v) & v %in% c("POS", "NEG")
    pos <- !is.na(v) & v == "POS"
    list(
      analyte = a$analyte, column = a$column,
      samples = sum(tested), positive = sum(pos),
      subjects = length(unique(sid[r][tested])),
      subjects_positive = length(unique(sid[r][pos]))
    )
  })
}

arms <- sort(unique(arm_of[randomized]))
out <- list(
  R = R.version.string,
  pooled = describe(randomized),
  by_arm = setNames(lapply(arms, function(a) describe(randomized[arm_of[randomized] %in% a])), arms)
)
writeLines(toJSON(out, auto_unbox = TRUE, pretty = TRUE, digits = NA),
           file.path(folder, "urine_panel.json"))
