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
    // Okabe-Ito on both backgrounds, except where a hue lacks contrast: the dark blue becomes sky
    // blue on a dark background, and the neutral reference line is a grey matching the background.
    const bool dark = isDark(palette);
    switch (series) {
    case Series::Size:
    case Series::Acquires:
        return QColor(dark ? OkabeIto::SkyBlue : OkabeIto::Blue);
    case Series::Idle:
    case Series::WaitP50:
        return QColor(OkabeIto::BluishGreen);
    case Series::Active:
    case Series::WaitP99:
        return QColor(OkabeIto::Orange);
    case Series::Waiting:
    case Series::Errors:
        return QColor(OkabeIto::Vermillion);
    case Series::Queries:
        return QColor(OkabeIto::ReddishPurple);
    case Series::MaxSize:
        return QColor(dark ? 0xb0b0b0 : 0x555555);
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
