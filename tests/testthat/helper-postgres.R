# helper-postgres.R -- a throw-away PostgreSQL server for the database tests:
# initdb in a fresh temporary directory, a server on 127.0.0.1 at a free
# port (and its Unix socket in that directory), stopped and removed when the
# caller's environment ends (withr::defer), and by a finalizer as a last
# resort if the R process ends first. PostgreSQL refuses to run as root, so
# as root the server runs as the unprivileged user `nobody` (runuser, else
# su), in a directory that user owns. The binaries come from Debian's
# postgresql package (tools/install-deps.sh); without them the tests skip.

postgres_bin <- function() {
  dirs <- c(Sys.getenv("NETSURV_PG_BIN"), Sys.glob("/usr/lib/postgresql/*/bin"))
  dirs <- dirs[nzchar(dirs) & file.exists(file.path(dirs, "initdb")) &
                 file.exists(file.path(dirs, "pg_ctl"))]
  if (length(dirs)) dirs[length(dirs)] else ""
}

postgres_is_root <- function() {
  identical(unname(Sys.info()[["effective_user"]]), "root") ||
    identical(suppressWarnings(system2("id", "-u", stdout = TRUE)), "0")
}

# Runs a PostgreSQL program (as `nobody` when we are root); returns the exit
# status and the output.
postgres_run <- function(bin, args, log) {
  cmd <- paste(shQuote(bin), paste(shQuote(args), collapse = " "))
  if (postgres_is_root()) {
    if (nzchar(Sys.which("runuser"))) {
      out <- suppressWarnings(system2("runuser", c("-u", "nobody", "--", "/bin/sh", "-c", shQuote(cmd)),
                                      stdout = TRUE, stderr = TRUE))
    } else {
      out <- suppressWarnings(system2("su", c("-s", "/bin/sh", "nobody", "-c", shQuote(cmd)),
                                      stdout = TRUE, stderr = TRUE))
    }
  } else {
    out <- suppressWarnings(system2("/bin/sh", c("-c", shQuote(cmd)), stdout = TRUE, stderr = TRUE))
  }
  status <- attr(out, "status")
  list(status = if (is.null(status)) 0L else status, output = paste(out, collapse = "\n"))
}

postgres_free_port <- function() {
  for (i in 1:50) {
    port <- sample(20000:60000, 1L)
    sock <- tryCatch(serverSocket(port), error = function(e) NULL)
    if (!is.null(sock)) {
      close(sock)
      return(port)
    }
  }
  stop("no free TCP port found for the test PostgreSQL server")
}

# Starts a server and returns list(con, port, dir, stop); `env` decides its
# lifetime (testthat::teardown_env() for a whole test file).
local_postgres <- function(env = parent.frame()) {
  testthat::skip_if_not_installed("RPostgreSQL")
  testthat::skip_if_not_installed("DBI")
  bin <- postgres_bin()
  testthat::skip_if(!nzchar(bin), "PostgreSQL server binaries not found (Debian package postgresql)")
  # Not under R's own tempdir(): that is private to root (mode 0700).
  dir <- tempfile("netsurv-pg-", tmpdir = "/tmp")
  dir.create(dir, mode = "0700")
  if (postgres_is_root()) {
    chown <- system2("chown", c("nobody", shQuote(dir)), stdout = TRUE, stderr = TRUE)
    if (!is.null(attr(chown, "status"))) stop("cannot hand ", dir, " to user nobody: ", chown)
  }
  data <- file.path(dir, "data")
  log <- file.path(dir, "server.log")
  state <- new.env()
  state$running <- FALSE
  stop_server <- function() {
    if (isTRUE(state$running)) {
      postgres_run(file.path(bin, "pg_ctl"), c("-D", data, "-m", "immediate", "-w", "stop"))
      state$running <- FALSE
    }
    unlink(dir, recursive = TRUE, force = TRUE)
    invisible(TRUE)
  }
  reg.finalizer(state, function(e) stop_server(), onexit = TRUE)
  withr::defer(stop_server(), envir = env)

  init <- postgres_run(file.path(bin, "initdb"),
                       c("-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                         "--locale=C", "--no-sync"))
  if (init$status != 0) stop("initdb failed:\n", init$output)
  port <- postgres_free_port()
  opts <- paste("-p", port, "-k", dir, "-c listen_addresses=127.0.0.1 -c fsync=off",
                "-c full_page_writes=off -c synchronous_commit=off")
  start <- postgres_run(file.path(bin, "pg_ctl"),
                        c("-D", data, "-l", log, "-o", opts, "-w", "-t", "60", "start"))
  if (start$status != 0)
    stop("pg_ctl start failed:\n", start$output, "\n",
         paste(tryCatch(readLines(log), error = function(e) ""), collapse = "\n"))
  state$running <- TRUE
  con <- DBI::dbConnect(RPostgreSQL::PostgreSQL(), host = "127.0.0.1", port = port,
                        user = "postgres", dbname = "postgres")
  withr::defer(try(DBI::dbDisconnect(con), silent = TRUE), envir = env, priority = "first")
  list(con = con, port = port, dir = dir, stop = stop_server,
       connect = function() DBI::dbConnect(RPostgreSQL::PostgreSQL(), host = "127.0.0.1",
                                           port = port, user = "postgres", dbname = "postgres"))
}
