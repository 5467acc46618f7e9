// SPDX-License-Identifier: MIT
#include "theme.h"

namespace QPg::Monitor::Theme {

namespace {

QColor mix(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(float(a.redF() * (1 - t) + b.redF() * t), float(a.greenF() * (1 - t) + b.greenF() * t),
                            float(a.blueF() * (1 - t) + b.blueF() * t));
}

} // namespace

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor seriesColor(Series series, const QPalette &palette)
{
    const bool dark = isDark(palette);
    // {light background, dark background}
    auto pick = [dark](const char *onLight, const char *onDark) {
        return QColor::fromString(QLatin1StringView(dark ? onDark : onLight));
    };
    switch (series) {
    case Series::Size:
        return pick("#1f5fbf", "#6ea8ff");
    case Series::Idle:
        return pick("#1b8a3a", "#5fd47f");
    case Series::Active:
        return pick("#c25a00", "#ffa54f");
    case Series::Waiting:
        return pick("#c0182b", "#ff6b7a");
    case Series::MaxSize:
        return pick("#555555", "#b0b0b0");
    case Series::Acquires:
        return pick("#1f5fbf", "#6ea8ff");
    case Series::Queries:
        return pick("#7a2fbf", "#c79bff");
    case Series::Errors:
        return pick("#c0182b", "#ff6b7a");
    case Series::WaitP50:
        return pick("#0f8a8a", "#4fd8d8");
    case Series::WaitP99:
        return pick("#a07800", "#f0c94f");
    }
    return palette.color(QPalette::Text);
}

QColor gridColor(const QPalette &palette)
{
    return mix(palette.color(QPalette::Base), palette.color(QPalette::Text), 0.15);
}

QColor subtleTextColor(const QPalette &palette)
{
    return mix(palette.color(QPalette::Base), palette.color(QPalette::Text), 0.6);
}

QColor errorColor(const QPalette &palette)
{
    return seriesColor(Series::Errors, palette);
}

} // namespace QPg::Monitor::Theme
