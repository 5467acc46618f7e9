// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QPg/qpgpool_export.h>

#include <QtCore/QtGlobal>

#include <functional>

namespace QPg {
class Pool;
namespace Private {

// Replaces the clock that places samples in the pool's 10 s / 60 s windows (milliseconds, any
// monotonic origin), so a test can let a minute pass at once. In the pool's thread; an empty
// function restores the real clock.
QPGPOOL_EXPORT void setStatsClockForTesting(Pool *pool, std::function<qint64()> nowMs);

} // namespace Private
} // namespace QPg
