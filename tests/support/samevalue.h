// SPDX-License-Identifier: MIT
// Comparing decoded values in the type tests.
#pragma once

#include <QPg/timestamp.h>

#include <QtCore/QVariant>

#include <cmath>

namespace QPgTest {

// QVariant equality that also holds for NaN, keeps the sign of zero apart, walks nested lists and
// compares the time zone flag of timestamps.
inline bool sameValue(const QVariant &a, const QVariant &b)
{
    if (a.metaType() != b.metaType())
        return false;
    if (a.metaType() == QMetaType::fromType<std::nullptr_t>())
        return true;
    if (a.metaType() == QMetaType::fromType<double>()) {
        const double x = a.toDouble();
        const double y = b.toDouble();
        if (std::isnan(x) || std::isnan(y))
            return std::isnan(x) && std::isnan(y);
        return x == y && std::signbit(x) == std::signbit(y);
    }
    if (a.metaType() == QMetaType::fromType<QVariantList>()) {
        const QVariantList x = a.toList();
        const QVariantList y = b.toList();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i) {
            if (!sameValue(x.at(i), y.at(i)))
                return false;
        }
        return true;
    }
    if (a.metaType() == QMetaType::fromType<QPg::Timestamp>()) {
        const auto x = a.value<QPg::Timestamp>();
        const auto y = b.value<QPg::Timestamp>();
        return x == y && x.hasTimeZone() == y.hasTimeZone();
    }
    return a == b;
}

} // namespace QPgTest
