// qnum — every public header. Prefer including only the concepts you use; this umbrella is for quick starts and is
// what single_include/qnum/qnum.hpp is generated from.
#pragma once

#include "qnum/choose_qparams.hpp"
#include "qnum/cpu.hpp"
#include "qnum/error.hpp"
#include "qnum/fixed_point.hpp"
#include "qnum/fixed_point_math.hpp"
#include "qnum/format.hpp"
#include "qnum/histogram.hpp"
#include "qnum/histogram_search.hpp"
#include "qnum/observer_fixed.hpp"
#include "qnum/observer_histogram.hpp"
#include "qnum/observer_minmax.hpp"
#include "qnum/observer_mixed.hpp"
#include "qnum/observer_moving_average.hpp"
#include "qnum/observer_mse.hpp"
#include "qnum/packing.hpp"
#include "qnum/qparams.hpp"
#include "qnum/quantize.hpp"
#include "qnum/requantize.hpp"
#include "qnum/rounding.hpp"
#include "qnum/view.hpp"
