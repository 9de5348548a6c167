# digitise_curve(): points of KM curves read from images by colour.

# painted_image(list(rows, cols, rgb), ...): a white 120 x 220 image with each
# stroke (a rectangle of pixels set to the colour rgb) painted in turn over
# the last. Calibration (toy_x, toy_y): column j is time j - 10, row r is
# survival 1 - (r - 11) / 100 (pixel centres j - 0.5, r - 0.5).
painted_image <- function(...) {
  img <- array(1, c(120, 220, 3))
  for (s in list(...)) for (ch in 1:3) img[s[[1L]], s[[2L]], ch] <- s[[3L]][ch]
  img
}
red_rgb <- c(1, 0, 0)
blue_rgb <- c(0, 0, 1)
# The hand-made image of the first test.
toy_image <- function() {
  light_red <- 1 - 0.25 * (1 - red_rgb)    # a 25% band of red
  painted_image(
    list(40:80, 10:200, light_red),        # confidence band under the red curve
    # red: S = 1 until t = 70, drop to 0.5 (line 3 px wide), on to t = 190
    list(10:12, 10:81, red_rgb),
    list(10:62, 80:82, red_rgb),
    list(60:62, 80:200, red_rgb),
    list(52:70, 139:141, red_rgb),         # censoring tick at t = 130
    list(52:70, 180:181, red_rgb),         # and at t = 170.5
    # blue: S = 0.8 until t = 140, then 0.2
    list(30:32, 10:151, blue_rgb),
    list(30:92, 150:151, blue_rgb),
    list(90:92, 150:200, blue_rgb))
}
toy_x <- list(pixel = c(9.5, 209.5), value = c(0, 200))
toy_y <- list(pixel = c(10.5, 110.5), value = c(1, 0))

test_that("a hand-made image: levels, drops, ticks and a lighter band", {
  pts <- digitise_curve(toy_image(), c(red = "red", blue = "blue"), x = toy_x, y = toy_y)
  expect_named(pts, c("time", "survival", "arm"))
  red <- pts[pts$arm == "red", ]
  blue <- pts[pts$arm == "blue", ]
  expect_equal(range(red$time), c(0, 190), tolerance = 1e-12)
  # before the drop at 70-72 the curve is at 1, after it at 0.5 (the tick at
  # 130 and the band leave no trace), to within the digitiser's pixel
  expect_true(all(abs(red$survival[red$time < 70] - 1) <= 0.01))
  expect_true(all(abs(red$survival[red$time > 72] - 0.5) <= 0.01))
  expect_true(all(abs(blue$survival[blue$time < 140] - 0.8) <= 0.01))
  expect_true(all(abs(blue$survival[blue$time > 141] - 0.2) <= 0.01))
  # the drops are found where they are drawn
  drop_time <- red$time[red$survival < 0.9 & red$survival > 0.45][1]
  expect_true(drop_time >= 70 && drop_time <= 72)
  # and reconstruct_ipd() reads them: 100 patients, half die at the drop
  ipd <- reconstruct_ipd(pts[pts$arm == "red", c("time", "survival")],
                         data.frame(time = 0, n = 100))
  expect_equal(sum(ipd$status), 50)
  expect_true(all(ipd$time[ipd$status == 1] >= 69 & ipd$time[ipd$status == 1] <= 73))
})

test_that("a censoring mark whose upper arm is hidden is not read as a drop", {
  # red at 0.5 (rows 60-62) with a censoring mark at t = 90 (columns
  # 100-101, rows 56-69) and a drop to 0.3 at t = 140; blue, drawn over it
  # just above (rows 55-58), hides the mark's upper arm: what shows of the
  # mark reaches only below the line, as a drop's vertical does. The next
  # columns, where red goes on at 0.5, tell it from a drop.
  img <- painted_image(list(60:62, 10:151, red_rgb), list(56:69, 100:101, red_rgb),
                       list(60:82, 150:151, red_rgb), list(80:82, 150:200, red_rgb),
                       list(55:58, 10:200, blue_rgb))
  pts <- digitise_curve(img, c(red = "red", blue = "blue"), x = toy_x, y = toy_y)
  red <- pts[pts$arm == "red", ]
  # within a pixel (0.01) of 0.5 up to the drop, of 0.3 after it
  expect_lte(max(abs(red$survival[red$time < 139] - 0.5)), 0.01)
  expect_lte(max(abs(red$survival[red$time > 142] - 0.3)), 0.01)
  drop_time <- red$time[red$survival < 0.45][1]
  expect_true(drop_time >= 139 && drop_time <= 142)
  # the mark's columns are read at the line's level (before this was fixed
  # the level fell there to the arm's end, 0.42)
  expect_lte(max(abs(red$survival[red$time >= 88 & red$time <= 95] - 0.5)), 0.01)
})

test_that("a curve hidden under another follows it, and drops where it drops", {
  # red at 0.8 from t = 0, dropping to 0.6 at t = 50 and on to t = 190; blue,
  # drawn over it, at 0.8 from t = 20, dropping to 0.6 at t = 50 and to 0.4 at
  # t = 100: red shows only before t = 20 and after t = 100.
  img <- painted_image(list(30:32, 10:61, red_rgb), list(30:52, 60:61, red_rgb),
                       list(50:52, 60:200, red_rgb), list(30:32, 30:61, blue_rgb),
                       list(30:52, 60:61, blue_rgb), list(50:52, 60:111, blue_rgb),
                       list(50:72, 110:111, blue_rgb), list(70:72, 110:200, blue_rgb))
  pts <- digitise_curve(img, c(red = "red", blue = "blue"), x = toy_x, y = toy_y)
  red <- pts[pts$arm == "red", ]
  # read under blue: the drop at 50 (within a pixel), not at 100 where red shows again
  first_low <- min(red$time[red$survival < 0.7])
  expect_true(first_low >= 49 && first_low <= 52)
  expect_true(all(abs(red$survival[red$time < 49] - 0.8) <= 0.01))
  expect_true(all(abs(red$survival[red$time > 52] - 0.6) <= 0.01))   # not blue's 0.4
  # with blue absent from the search, red is unseen under it: no point there
  alone <- digitise_curve(img, "red", x = toy_x, y = toy_y)
  expect_false(any(alone$time > 21 & alone$time < 100))
})

test_that("an alpha channel is composited over white; the box limits the search", {
  img <- toy_image()
  rgba <- array(1, c(dim(img)[1:2], 4))
  rgba[, , 1:3] <- img
  a <- digitise_curve(img, "red", x = toy_x, y = toy_y)
  expect_identical(digitise_curve(rgba, "red", x = toy_x, y = toy_y), a)
  expect_named(a, c("time", "survival"))          # one unnamed colour: no arm
  b <- digitise_curve(img, "red", x = toy_x, y = toy_y, box = c(0, 120, 0, 120))
  expect_lte(max(b$time), 110)
})

test_that("a rendered PNG: digitised points lie on the original KM curves", {
  skip_if_not_installed("png")
  d <- rt_datasets()$lung
  file <- tempfile(fileext = ".png")
  on.exit(unlink(file))
  box <- rt_render(file, d$data, d$xlim)
  pts <- digitise_curve(file, c(Male = "red", Female = "blue"), xlim = d$xlim,
                        ylim = c(0, 1.02), box = box)
  shift <- 0.006 * diff(d$xlim)
  for (a in c("Male", "Female")) {
    f <- survival::survfit(survival::Surv(time, status) ~ 1, data = d$data[d$data$arm == a, ])
    S <- stats::stepfun(f$time, c(1, f$surv))
    p <- pts[pts$arm == a, ]
    # between the curve's values a shift earlier and later, within 0.01
    err <- pmax(S(p$time + shift) - p$survival, p$survival - S(pmax(p$time - shift, 0)), 0)
    expect_lte(max(err), 0.01)
    expect_gte(max(p$time), max(f$time) - shift)
  }
})

test_that("round trip from rendered PNGs: lung, veteran, colon (death)", {
  skip_if_not_installed("png")
  ds <- rt_datasets()
  for (nm in names(ds)) {
    d <- ds[[nm]]
    rec <- reconstruct_ipd(rt_digitise_png(d$data, d$xlim), rt_at_risk(d$data, d$ticks))
    e <- rt_errors(d$data, rec, d$xlim)
    expect_true(all(e$arms$sup_shift <= 0.02), label = paste(nm, "sup |S_rec - S|"))
    expect_true(all(e$arms$median <= 0.02), label = paste(nm, "median"))
    expect_true(all(e$arms$rmst <= 0.01), label = paste(nm, "RMST"))
    expect_lte(e$log_hr, 0.05)
  }
})

test_that("bad input: clear errors", {
  img <- toy_image()
  expect_error(digitise_curve(img, "green", x = toy_x, y = toy_y),
               "`colours`: no pixels of colour \"green\" inside the panel")
  expect_error(digitise_curve(img, "red"), "give the axis calibration")
  expect_error(digitise_curve(img, "red", x = toy_x), "give both `x` and `y`")
  expect_error(digitise_curve(img, "red", x = toy_x, y = toy_y, xlim = c(0, 1)),
               "give either `x` and `y`, or `xlim`, `ylim` and `box`, not both")
  expect_error(digitise_curve(img, "red", x = list(pixel = 1, value = 2), y = toy_y),
               "`x` must be a list with `pixel` and `value`")
  expect_error(digitise_curve(img, "red", xlim = c(0, 1), ylim = c(0, 1), box = c(5, 1, 0, 9)),
               "`box` must be c\\(left, right, top, bottom\\)")
  expect_error(digitise_curve(img, "notacolour", x = toy_x, y = toy_y), "`colours`: invalid color name")
  expect_error(digitise_curve(img, c(a = "red", a = "blue"), x = toy_x, y = toy_y),
               "`colours` must have distinct, non-empty names")
  expect_error(digitise_curve(tempfile(), "red", x = toy_x, y = toy_y),
               "`image` must be the path of an existing PNG file")
  expect_error(digitise_curve(matrix(0, 3, 3), "red", x = toy_x, y = toy_y),
               "`image` must be a PNG path or a rows x columns x 3 \\(or 4\\) array")
  expect_error(digitise_curve(img, "white", x = toy_x, y = toy_y),
               "a curve colour equals the background colour")
})
