# Reading helpers shared by tests/reference/questionnaires.R and safety.R (base R with readxl):
# a cell as a date, a text or a number as dmc-sap.md reads it, a sheet with typed columns, and
# the t-based summary. tests/reference/derive.R keeps its own copy: it shares nothing.
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
describe <- function(v) {
  v <- v[!is.na(v)]
  n <- length(v)
  if (n == 0) return(list(n = 0, mean = NULL, sd = NULL, median = NULL, ci_lower = NULL, ci_upper = NULL))
  m <- mean(v)
  if (n == 1) return(list(n = 1, mean = m, sd = NULL, median = median(v), ci_lower = NULL, ci_upper = NULL))
  s <- sd(v)
  ci <- t.test(v)$conf.int
  list(n = n, mean = m, sd = s, median = median(v), ci_lower = ci[1], ci_upper = ci[2])
}

# --- cases -----------------------------------------------------------------------------------
# A case is a folder with case.json (the cutoff; for another protocol its schedule, endpoints and
# study parameters). Its workbooks are data.xlsx and key.xlsx beside it, or, when case.json names
# "inputs" (a folder relative to the case), there: the shared reference studies are read where
# they lie (../shared/reference/<case>) and only the R outputs are written under
# tests/fixtures/r-shared/<case>/.
case_inputs <- function(folder) {
  case <- jsonlite::fromJSON(file.path(folder, "case.json"))
  dir <- if (is.null(case$inputs)) folder else file.path(folder, case$inputs)
  list(case = case, data = file.path(dir, "data.xlsx"), key = file.path(dir, "key.xlsx"),
       present = file.exists(file.path(dir, "data.xlsx")))
}
# Every case folder under tests/fixtures/r and tests/fixtures/r-shared (or those named on the
# command line, by folder name), skipping a shared case whose workbooks are not beside the checkout.
case_folders <- function(here, only = commandArgs(trailingOnly = TRUE)) {
  roots <- file.path(here, "..", "fixtures", c("r", "r-shared"))
  out <- character()
  for (root in roots[dir.exists(roots)]) {
    for (case in list.files(root)) {
      folder <- file.path(root, case)
      if (length(only) && !(case %in% only)) next
      if (!case_inputs(folder)$present) {
        message("skipped ", folder, ": its workbooks are not there")
        next
      }
      out <- c(out, folder)
    }
  }
  out
}
write_json_file <- function(x, path) {
  writeLines(jsonlite::toJSON(x, auto_unbox = TRUE, null = "null", na = "null", digits = NA,
                              pretty = TRUE), path)
}
