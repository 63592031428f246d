/* mxl/platform.h - export and attribute helpers shared by all public headers. */
#ifndef MXL_PLATFORM_H
#define MXL_PLATFORM_H

#if defined(__GNUC__) || defined(__clang__)
#   define MXL_EXPORT __attribute__((visibility("default")))
#else
#   define MXL_EXPORT
#endif

#if defined(__cplusplus) && __cplusplus >= 201703L
#   define MXL_NODISCARD [[nodiscard]]
#   define MXL_CONSTEXPR constexpr
#elif defined(__GNUC__) || defined(__clang__)
#   define MXL_NODISCARD __attribute__((warn_unused_result))
#   define MXL_CONSTEXPR
#else
#   define MXL_NODISCARD
#   define MXL_CONSTEXPR
#endif

#endif /* MXL_PLATFORM_H */
