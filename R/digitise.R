#' Digitise Kaplan-Meier curves from a PNG figure, by colour
#'
#' Reads a PNG image of a Kaplan-Meier figure and extracts the points of
#' each curve from the pixels of its colour, without clicking: the result is
#' the `curve` argument of [reconstruct_ipd()].
#'
#' @param image Path of a PNG file, or an image array as returned by
#'   [png::readPNG()] (rows x columns x 3 or 4 channels in \[0, 1\]).
#' @param colours Colours of the curves (names as in [grDevices::colours()]
#'   or `"#RRGGBB"`), one per curve; their names, if any, become the `arm`
#'   column. Several colours give several arms.
#' @param x,y Axis calibration by two known points per axis: lists (or data
#'   frames) with elements `pixel` (two positions in pixels, counted from the
#'   image's left edge for `x` and from its top edge for `y`; the centre of
#'   column `j` is at `j - 0.5`) and `value` (the data values there). Give
#'   either `x` and `y`, or `xlim`, `ylim` and `box`.
#' @param xlim,ylim Data limits of the panel (for base graphics,
#'   `par("usr")`).
#' @param box The panel's pixel box `c(left, right, top, bottom)`, in the
#'   same pixel coordinates, at which `xlim` and `ylim` lie. When given with
#'   `x` and `y` it only restricts the search to the panel.
#' @param background Colour of the panel background (default white).
#' @param min_share A pixel belongs to a curve when it is a mix of the
#'   curve's colour and the background with at least this share of the
#'   curve's colour (default 0.5), and no more than `tolerance` away from
#'   that mix. Confidence bands drawn in a lighter shade (a smaller share) and
#'   anti-aliased fringes are left out.
#' @param tolerance Largest distance in RGB space (channels in \[0, 1\])
#'   from the mix of background and curve colour (default 0.15).
#'
#' @details
#' For each colour, the pixels of that colour inside the panel are found, and
#' the image is read one pixel column at a time from left to right, following
#' the curve: in each column the run of curve pixels nearest the current
#' level is taken, after bridging gaps no taller than the line (where another
#' curve crosses a drop). The line width is measured as the median run height. A run
#' no taller than the line is a flat stretch (one point at its centre); a run
#' that reaches further down only is a drop (two points, its top and its
#' bottom), unless the next columns show the line going on at the current
#' level with nothing below it (then it was the lower arm of a censoring mark
#' whose upper arm is hidden under a curve drawn over this one); a run that
#' reaches above the current level is a censoring tick mark and gives the
#' current level only (a survival curve does not rise).
#' Where the curve is hidden under another of the `colours` (drawn over it),
#' it is read where that curve is: at its own level while the other covers
#' it, and at the top of the other's nearest line below when the other
#' drops, so a drop made under another curve is placed where it happened,
#' not where the curve shows again; the level never goes below where the
#' curve shows again. Columns where it is hidden by anything else give no
#' point.
#' Pixel centres are converted to data by the linear calibration.
#'
#' @return A data frame with `time` and `survival` (in the units of the
#'   y calibration: proportion or percent) and, when `colours` has names or
#'   several elements, `arm`; ordered by arm and time.
#' @seealso [reconstruct_ipd()]
#' @examples
#' if (requireNamespace("png", quietly = TRUE)) {
#'   file <- tempfile(fileext = ".png")
#'   png(file, width = 600, height = 400)
#'   par(mar = c(4, 4, 1, 1), xaxs = "i", yaxs = "i")
#'   fit <- survival::survfit(survival::Surv(time, status) ~ trt,
#'                            data = survival::veteran)
#'   plot(fit, col = c("red", "blue"), lwd = 2, xlim = c(0, 1000), ylim = c(0, 1.05))
#'   # where the data limits lie in the image, in pixels
#'   box_px <- c(grconvertX(c(0, 1000), "user", "device"),
#'               grconvertY(c(1.05, 0), "user", "device"))
#'   dev.off()
#'   pts <- digitise_curve(file, c(standard = "red", test = "blue"),
#'                         xlim = c(0, 1000), ylim = c(0, 1.05), box = box_px)
#'   head(pts)
#' }
#' @export
digitise_curve <- function(image, colours, x = NULL, y = NULL, xlim = NULL,
                           ylim = NULL, box = NULL, background = "white",
                           min_share = 0.5, tolerance = 0.15) {
  img <- dig_read_image(image)
  if (!is.character(colours) || length(colours) < 1 || anyNA(colours))
    stop("`colours` must be a character vector of colours, one per curve", call. = FALSE)
  rgb_cols <- dig_colour(colours, "colours")
  bg <- dig_colour(background, "background")
  if (ncol(bg) != 1) stop("`background` must be one colour", call. = FALSE)
  if (!is.numeric(min_share) || length(min_share) != 1 || !(min_share > 0 && min_share <= 1))
    stop("`min_share` must be one number in (0, 1]", call. = FALSE)
  if (!is.numeric(tolerance) || length(tolerance) != 1 || !(tolerance > 0))
    stop("`tolerance` must be one positive number", call. = FALSE)
  cal <- dig_calibration(x, y, xlim, ylim, box, dim(img))
  arms <- names(colours)
  if (is.null(arms) && length(colours) > 1) arms <- colours
  if (!is.null(arms) && (anyNA(arms) || any(arms == "") || anyDuplicated(arms)))
    stop("`colours` must have distinct, non-empty names", call. = FALSE)

  H <- dim(img)[1]; W <- dim(img)[2]
  rows <- seq_len(H); cols <- seq_len(W)
  in_box <- outer(rows - 0.5 >= cal$box[3] & rows - 0.5 <= cal$box[4],
                  cols - 0.5 >= cal$box[1] & cols - 0.5 <= cal$box[2], `&`)
  masks <- lapply(seq_len(ncol(rgb_cols)), function(k)
    dig_mask(img, rgb_cols[, k], bg[, 1], min_share, tolerance) & in_box)
  out <- vector("list", ncol(rgb_cols))
  for (k in seq_len(ncol(rgb_cols))) {
    mask <- masks[[k]]
    # the other curves, under which this one may be hidden
    occ <- if (length(masks) > 1) Reduce(`|`, masks[-k]) else NULL
    pts <- dig_trace(mask, occ)
    if (is.null(pts))
      stop(sprintf("`colours`: no pixels of colour \"%s\" inside the panel (try a larger `tolerance`)",
                   colours[k]), call. = FALSE)
    d <- data.frame(time = cal$x(pts$col - 0.5), survival = cal$y(pts$row - 0.5))
    if (!is.null(arms)) d$arm <- arms[k]
    out[[k]] <- d
  }
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}

dig_read_image <- function(image) {
  if (is.character(image)) {
    if (length(image) != 1 || !file.exists(image))
      stop("`image` must be the path of an existing PNG file or an image array", call. = FALSE)
    if (!requireNamespace("png", quietly = TRUE))
      stop("digitise_curve() needs the png package to read `image`", call. = FALSE)
    image <- png::readPNG(image)
  }
  if (!is.array(image) || !is.numeric(image) || length(dim(image)) != 3 ||
      !(dim(image)[3] %in% c(3, 4)))
    stop("`image` must be a PNG path or a rows x columns x 3 (or 4) array", call. = FALSE)
  if (dim(image)[3] == 4) {
    # composite over white
    a <- image[, , 4]
    for (ch in 1:3) image[, , ch] <- image[, , ch] * a + (1 - a)
    image <- image[, , 1:3, drop = FALSE]
  }
  if (max(image) > 1) image <- image / 255
  image
}

dig_colour <- function(colours, arg) {
  out <- tryCatch(grDevices::col2rgb(colours) / 255, error = function(e)
    stop(sprintf("`%s`: %s", arg, conditionMessage(e)), call. = FALSE))
  out
}

dig_calibration <- function(x, y, xlim, ylim, box, dims) {
  H <- dims[1]; W <- dims[2]
  two_points <- function(cal, arg) {
    if (!is.list(cal) || is.null(cal$pixel) || is.null(cal$value) ||
        length(cal$pixel) != 2 || length(cal$value) != 2 ||
        !all(is.finite(cal$pixel)) || !all(is.finite(cal$value)) ||
        cal$pixel[1] == cal$pixel[2] || cal$value[1] == cal$value[2])
      stop(sprintf("`%s` must be a list with `pixel` and `value`, two distinct finite numbers each",
                   arg), call. = FALSE)
    slope <- (cal$value[2] - cal$value[1]) / (cal$pixel[2] - cal$pixel[1])
    force(slope)
    function(p) cal$value[1] + (p - cal$pixel[1]) * slope
  }
  check_box <- function() {
    if (!is.numeric(box) || length(box) != 4 || !all(is.finite(box)) ||
        box[1] >= box[2] || box[3] >= box[4])
      stop("`box` must be c(left, right, top, bottom) in pixels, with left < right and top < bottom",
           call. = FALSE)
  }
  if (!is.null(x) || !is.null(y)) {
    if (is.null(x) || is.null(y))
      stop("give both `x` and `y` (two known points per axis), or `xlim`, `ylim` and `box`",
           call. = FALSE)
    if (!is.null(xlim) || !is.null(ylim))
      stop("give either `x` and `y`, or `xlim`, `ylim` and `box`, not both", call. = FALSE)
    if (is.null(box)) box <- c(0, W, 0, H) else check_box()
    return(list(x = two_points(x, "x"), y = two_points(y, "y"), box = box))
  }
  if (is.null(xlim) || is.null(ylim) || is.null(box))
    stop("give the axis calibration: `x` and `y` (two known points per axis), or `xlim`, `ylim` and `box`",
         call. = FALSE)
  for (arg in c("xlim", "ylim")) {
    v <- get(arg)
    if (!is.numeric(v) || length(v) != 2 || !all(is.finite(v)) || v[1] == v[2])
      stop(sprintf("`%s` must be two distinct finite numbers", arg), call. = FALSE)
  }
  check_box()
  list(x = two_points(list(pixel = box[1:2], value = xlim), "xlim"),
       y = two_points(list(pixel = box[4:3], value = ylim), "ylim"),
       box = box)
}

# Pixels that are a mix of background and colour with share >= min_share.
dig_mask <- function(img, colour, bg, min_share, tolerance) {
  v <- colour - bg
  vv <- sum(v^2)
  if (vv < 1e-6) stop("a curve colour equals the background colour", call. = FALSE)
  share <- ((img[, , 1] - bg[1]) * v[1] + (img[, , 2] - bg[2]) * v[2] +
            (img[, , 3] - bg[3]) * v[3]) / vv
  s <- pmin(pmax(share, 0), 1)
  resid <- (img[, , 1] - bg[1] - s * v[1])^2 + (img[, , 2] - bg[2] - s * v[2])^2 +
    (img[, , 3] - bg[3] - s * v[3])^2
  share >= min_share & resid <= tolerance^2
}

# Vertical runs of TRUE in column j of a logical matrix: a two-column matrix
# (top, bottom), possibly with no rows.
dig_runs <- function(mask, j) {
  r <- which(mask[, j])
  if (!length(r)) return(cbind(top = integer(0), bottom = integer(0)))
  brk <- c(0L, which(diff(r) > 1L), length(r))
  cbind(top = r[brk[-length(brk)] + 1L], bottom = r[brk[-1L]])
}

# Follow a curve through a logical mask, column by column (see Details);
# `occ` (or NULL) marks the pixels of the other curves.
dig_trace <- function(mask, occ = NULL) {
  cols <- which(colSums(mask) > 0)
  if (!length(cols)) return(NULL)
  runs <- lapply(cols, function(j) dig_runs(mask, j))
  heights <- unlist(lapply(runs, function(m) m[, "bottom"] - m[, "top"] + 1))
  lw <- stats::median(heights)
  # another curve drawn across a drop cuts it: bridge gaps up to a line width
  runs <- lapply(runs, function(m) {
    if (nrow(m) < 2) return(m)
    gap <- m[-1, "top"] - m[-nrow(m), "bottom"] - 1
    keep <- c(TRUE, gap > lw + 1)
    grp <- cumsum(keep)
    cbind(top = m[keep, "top"], bottom = tapply(m[, "bottom"], grp, max))
  })
  hw <- (lw - 1) / 2
  slack <- max(1.5, lw / 2)
  out_col <- numeric(0); out_row <- numeric(0)
  level <- NA_real_
  for (i in seq_along(cols)) {
    m <- runs[[i]]
    if (!is.na(level) && !is.null(occ) && i > 1 && cols[i] > cols[i - 1] + 1) {
      # Columns without a pixel of this curve, between two that have one: it
      # lies under another curve there, so it is where that curve is -- at
      # its own level if the other covers it, else at the top of the other's
      # nearest run below (a survival curve does not rise); as the level
      # follows, a drop of the covering curve is a drop of the hidden one.
      # Nothing is read when no other curve is at or below the level, and
      # the level goes no lower than where the curve shows again after the
      # gap.
      ok <- m[m[, "bottom"] >= level - hw - slack, , drop = FALSE]
      floor_level <- if (nrow(ok)) max(ok[, "bottom"]) - hw + slack else -Inf
      for (j in seq(cols[i - 1] + 1, cols[i] - 1)) {
        o <- dig_runs(occ, j)
        o <- o[o[, "bottom"] >= level - hw - slack, , drop = FALSE]
        if (!nrow(o)) next
        top <- min(o[, "top"])
        if (top + hw > floor_level) next
        if (top > level + hw + slack) {
          new_level <- top + hw
          out_col <- c(out_col, j, j); out_row <- c(out_row, level, new_level)
          level <- new_level
        } else {
          out_col <- c(out_col, j); out_row <- c(out_row, level)
        }
      }
    }
    if (is.na(level)) {
      pick <- which.min(m[, "top"])
    } else {
      ok <- which(m[, "bottom"] >= level - hw - slack)
      if (!length(ok)) next
      pick <- ok[which.min(m[ok, "top"])]
      # a run starting far below the level is another object unless nothing else
      if (m[pick, "top"] > level + hw + 3 * lw + 2) {
        near <- ok[which.min(abs((m[ok, "top"] + m[ok, "bottom"]) / 2 - level))]
        pick <- near
      }
    }
    top <- m[pick, "top"]; bottom <- m[pick, "bottom"]
    if (is.na(level)) {
      level <- (top + bottom) / 2
      out_col <- c(out_col, cols[i]); out_row <- c(out_row, level)
      next
    }
    above <- (level - hw) - top
    below <- bottom - (level + hw)
    if (above > slack) {
      # censoring tick (or the second column of a wide vertical): keep level
      out_col <- c(out_col, cols[i]); out_row <- c(out_row, level)
    } else if (below > slack && dig_mark_below(runs, cols, i, level, hw, slack)) {
      # the lower arm of a censoring mark whose upper arm is hidden (under a
      # curve drawn over this one): not a drop, the line goes on at its level
      out_col <- c(out_col, cols[i]); out_row <- c(out_row, level)
    } else if (below > slack) {
      new_level <- bottom - hw
      out_col <- c(out_col, cols[i], cols[i]); out_row <- c(out_row, level, new_level)
      level <- new_level
    } else {
      level <- (top + bottom) / 2
      out_col <- c(out_col, cols[i]); out_row <- c(out_row, level)
    }
  }
  list(col = out_col, row = out_row)
}

# Is the run of column i, which reaches below the level, a drop or the lower
# arm of a censoring mark whose upper arm is hidden? Look at the
# next columns: after a drop's vertical the curve is below the old level
# only, after a mark's arm at the old level only. Columns without the curve
# (hidden under another) are passed over; undecided within a few line widths:
# a drop.
dig_mark_below <- function(runs, cols, i, level, hw, slack) {
  lw <- 2 * hw + 1
  window <- max(4L, ceiling(3 * lw))
  for (i2 in seq.int(i + 1L, length.out = window)) {
    if (i2 > length(cols) || cols[i2] > cols[i] + window) return(FALSE)
    m <- runs[[i2]]
    m <- m[m[, "bottom"] >= level - hw - slack, , drop = FALSE]
    old <- any(m[, "top"] <= level + hw + slack)
    low <- any(m[, "bottom"] > level + hw + slack)
    if (old != low) return(old)
    if (!old) return(FALSE)
  }
  FALSE
}
