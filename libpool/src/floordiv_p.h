// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QtGlobal>

namespace QPg::Private {

// Division rounding towards minus infinity (the calendar needs it for instants before the epoch).
constexpr qint64 floorDiv(qint64 a, qint64 b)
{
    const qint64 q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// The remainder that goes with floorDiv, computed without a multiplication that could overflow near
// the ends of the qint64 range.
constexpr qint64 floorMod(qint64 a, qint64 b)
{
    const qint64 r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

} // namespace QPg::Private
