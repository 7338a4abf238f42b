// qnum — error reporting: the exception type, runtime checks and debug-build preconditions.
#pragma once

#include <stdexcept>
#include <string>

/// qnum's version, also exported through CMake's qnumConfigVersion.cmake.
#define QNUM_VERSION_MAJOR 0
#define QNUM_VERSION_MINOR 1
#define QNUM_VERSION_PATCH 0

namespace qnum {

/// Thrown for invalid runtime parameters: bad scales, out-of-range zero points, mismatched shapes, ...
/// Derives from std::invalid_argument so callers may catch either.
class error : public std::invalid_argument {
public:
    explicit error(const std::string& what) : std::invalid_argument("qnum: " + what) {}
};

namespace detail {

/// Throws qnum::error(message) unless `condition` holds. Used by builders and checked constructors (constexpr, so
/// a failing check in a constant expression is a compile-time error).
constexpr void require(bool condition, const char* message) {
    if (!condition) throw error(message);
}

[[noreturn]] inline void precondition_failed(const char* expression, const char* file, int line) {
    throw error(std::string("precondition failed: ") + expression + " (" + file + ":" + std::to_string(line) + ")");
}

}  // namespace detail
}  // namespace qnum

/// QNUM_DEBUG_CHECKS: when 1, hot kernels verify their documented preconditions and throw qnum::error on violation.
/// Defaults to on unless NDEBUG is defined, so debug builds catch misuse and release builds pay nothing.
#ifndef QNUM_DEBUG_CHECKS
#ifdef NDEBUG
#define QNUM_DEBUG_CHECKS 0
#else
#define QNUM_DEBUG_CHECKS 1
#endif
#endif

/// QNUM_ASSERT(cond): a documented precondition of a hot kernel, checked only when QNUM_DEBUG_CHECKS is 1.
#if QNUM_DEBUG_CHECKS
#define QNUM_ASSERT(cond) ((cond) ? (void)0 : ::qnum::detail::precondition_failed(#cond, __FILE__, __LINE__))
#else
#define QNUM_ASSERT(cond) ((void)0)
#endif
